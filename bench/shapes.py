"""The stacks the benchmark runs: a seeded sandbox account scaled to N numbers and C channels.

Each shape runs on a platform (`flexorch:platform`): `programmable-chat` (Flex UI 1.x, the
default, what the bench has always measured) or `conversations` (Flex Conversations). A
conversations stack's name ends in `-conv`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flexorch.sandbox import seed
from flexorch.sandbox.fake import FakeTwilio

ROOT = Path(__file__).resolve().parents[1]
HANDLER = "http://localhost:3000/flex"
CHANGED_HANDLER = "http://localhost:3000/flex/v2"
# Extra numbers beyond the two the seed holds: +15005551000, +15005551001, ...
FIRST_EXTRA = 15005551000

PROGRAMMABLE_CHAT = "programmable-chat"
CONVERSATIONS = "conversations"
PLATFORMS = (PROGRAMMABLE_CHAT, CONVERSATIONS)
"""Every platform, in the order the bench runs them (the default platform first)."""
# What a stack's name gets for its platform: 1.x stacks keep the names they always had.
SUFFIXES = {PROGRAMMABLE_CHAT: "", CONVERSATIONS: "-conv"}
# The events the Conversations service's webhooks get on a conversations stack.
CONVERSATIONS_FILTERS = ["onMessageAdded"]


@dataclass(frozen=True)
class Shape:
    """How big a stack is: managed numbers and custom task channels; and its platform."""

    numbers: int
    channels: int
    platform: str = PROGRAMMABLE_CHAT

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"{self.platform!r}: not one of {', '.join(PLATFORMS)}")

    @property
    def name(self) -> str:
        """The stack name, e.g. `n10-c5`, or `n10-c5-conv` on conversations."""
        return f"n{self.numbers}-c{self.channels}{SUFFIXES[self.platform]}"

    def on(self, platform: str) -> Shape:
        """The same numbers and channels on `platform`."""
        return Shape(self.numbers, self.channels, platform)

    @classmethod
    def parse(cls, text: str) -> Shape:
        """`10x5` -> 10 numbers, 5 channels (on the default platform)."""
        numbers, _, channels = text.partition("x")
        return cls(int(numbers), int(channels))


def numbers_of(count: int) -> list[str]:
    """The managed numbers of a stack with `count` numbers.

    The seeded number still on an enabled Flex Flow comes first, so every stack exercises the
    guard's disable path exactly once; then the free seeded number, then extra ones.
    """
    base = [seed.FLEX_FLOW_NUMBER, seed.FREE_NUMBER]
    extra = [f"+{FIRST_EXTRA + i}" for i in range(max(0, count - len(base)))]
    return (base + extra)[:count]


def account(shape: Shape) -> FakeTwilio:
    """The seeded Flex account plus the extra numbers the shape needs, all on Flex's handling.

    With the returning customer's ACTIVE chat channel on the Flex Flow's number: every
    Programmable Chat stack removes its Studio webhook once (and destroy puts it back).
    """
    fake = seed.returning_customer_account()
    for number in numbers_of(shape.numbers)[2:]:
        digits = number[2:]
        fake.add(
            seed.NUMBERS,
            {"AccountSid": seed.ACCOUNT_SID},
            sid=seed.sid("PN", number),
            phone_number=number,
            sms_url=seed.PROXY_WEBHOOK,
            sms_method="POST",
            sms_fallback_url=None,
            friendly_name=f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
        )
    return fake


def stack_config(shape: Shape, handler: str = HANDLER) -> dict[str, Any]:
    """`examples/Pulumi.sandbox.yaml` with the shape's numbers, channels and platform.

    On conversations: `flexorch:platform: conversations` and the same chat service SID with
    Conversations' event (retryCount and orchestration are refused there; the example has no
    orchestration).
    """
    example = yaml.safe_load((ROOT / "examples" / "Pulumi.sandbox.yaml").read_text())
    config: dict[str, Any] = copy.deepcopy(example["config"])
    if shape.platform == CONVERSATIONS:
        config["flexorch:platform"] = CONVERSATIONS
        config["flexorch:chatService"] = {
            "sid": config["flexorch:chatService"]["sid"],
            "webhookFilters": list(CONVERSATIONS_FILTERS),
        }
        config.pop("flexorch:orchestration", None)
    config["flexorch:handler"] = {"url": handler}
    config["flexorch:numbers"] = numbers_of(shape.numbers)
    config["flexorch:taskChannels"] = [
        {
            "uniqueName": f"custom{i}",
            "friendlyName": f"Custom {i}",
            "flexName": f"custom-chat-{i}",
            "channelType": f"custom{i}",
        }
        for i in range(1, shape.channels + 1)
    ]
    return config
