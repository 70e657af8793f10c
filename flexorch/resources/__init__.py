"""Typed Pulumi dynamic providers, one module per Twilio resource flexorch manages.

The resources every platform shares (the chat service's webhooks, a number's route) ask their
platform's strategy what to write: platform.py, one module per platform, platforms.py.

Not named `twilio`: Pulumi runs the program and the provider host with `stack/` on sys.path,
where a `twilio` folder would shadow the Twilio SDK.
"""
