"""flexorch: Twilio Flex (UI 1.x) custom messaging orchestration as code."""

__version__ = "0.1.0"
