"""Typed Pulumi dynamic providers for the Twilio resources flexorch manages."""
