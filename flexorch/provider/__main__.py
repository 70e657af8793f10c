"""`python -m flexorch.provider ENGINE_ADDRESS`: the provider plugin, as the engine starts it."""

from flexorch.provider.server import main

main()
