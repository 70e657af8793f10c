"""Typed Pulumi dynamic providers, one module per Twilio resource flexorch manages.

Not named `twilio`: Pulumi runs the program and the provider host with `stack/` on sys.path,
where a `twilio` folder would shadow the Twilio SDK.
"""
