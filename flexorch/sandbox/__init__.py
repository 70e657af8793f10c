"""The embedded local Twilio (never imported by the Pulumi program)."""
