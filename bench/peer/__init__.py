"""The bench's peer (issue #24): OpenTofu with Twilio's Terraform provider doing a stack's work.

`bench/peer/build` builds both into `.cache/peer/` (kept out of CI); `python -m bench.peer` (or
`python -m bench --peer`) lives the peer's life against the same sandbox the stacks use.
"""
