"""flexorch as a real Pulumi provider: every Twilio resource served under a stable type token.

The engine starts it as the executable `pulumi-resource-flexorch` (`python -m flexorch.provider`).
It serves the same providers the dynamic resources use (`flexorch.resources`), so each
resource's check, diff, create, read, update and delete stay written once; this package only
translates the provider protocol to and from them. No pickled code reaches state.
https://www.pulumi.com/docs/iac/extending-pulumi/build-a-provider/
"""
