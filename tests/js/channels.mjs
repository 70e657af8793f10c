// The task-channel checks that Flex UI 1.x and 2.x modules share: both register one chat
// TaskChannel per configured channel, claiming tasks by TaskRouter channel or channelType.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

/** Tasks of Flex's own channels that no configured channel claims. */
export function unrelatedTasksOf(channels) {
  return [
    { taskChannelUniqueName: "chat", channelType: "web", attributes: {} },
    { taskChannelUniqueName: "sms", channelType: "sms", attributes: {} },
    { taskChannelUniqueName: "voice", channelType: "voice", attributes: {} },
  ].filter((task) => !channels.some((c) => c.channelType === task.channelType));
}

/**
 * Tests that the module registers `channels` (the config's expectation) with the right matcher.
 * @param {Array<{uniqueName: string, flexName: string, channelType: string | null}>} channels
 * @param {() => {calls: Array<object>, channels: Array<{isApplicable: Function}>}} setUp runs
 *   the module against fresh fakes
 */
export function describeTaskChannels(channels, setUp) {
  const unrelatedTasks = unrelatedTasksOf(channels);

  describe("task channels", () => {
    it("registers one chat TaskChannel per configured channel, in order, by flexName", () => {
      const { calls } = setUp();
      const made = calls.filter((c) => c.call === "createChatTaskChannel" || c.call === "register");
      assert.deepEqual(
        made,
        channels.flatMap((c) => [
          { call: "createChatTaskChannel", name: c.flexName, rest: [] },
          { call: "register", name: c.flexName, rest: [] },
        ]),
      );
    });

    channels.forEach((channel, index) => {
      const label = `taskChannels[${index}]`;

      it(`${label} claims tasks of its TaskRouter channel`, () => {
        const { channels: registered } = setUp();
        const task = { taskChannelUniqueName: channel.uniqueName, channelType: "x", attributes: {} };
        assert.equal(registered[index].isApplicable(task), true);
      });

      if (channel.channelType !== null) {
        it(`${label} claims tasks whose channelType is the configured one`, () => {
          const { channels: registered } = setUp();
          const task = { taskChannelUniqueName: "chat", channelType: channel.channelType };
          assert.equal(registered[index].isApplicable({ ...task, attributes: {} }), true);
          const near = { taskChannelUniqueName: "chat", channelType: `${channel.channelType} ` };
          assert.equal(registered[index].isApplicable({ ...near, attributes: {} }), false);
        });
      } else {
        it(`${label} has no channelType: other tasks' channelType does not match`, () => {
          const { channels: registered } = setUp();
          const task = { taskChannelUniqueName: "chat", channelType: "custom", attributes: {} };
          assert.equal(registered[index].isApplicable(task), false);
        });
      }

      it(`${label} does not claim unrelated tasks or other channels' tasks`, () => {
        const { channels: registered } = setUp();
        for (const task of unrelatedTasks) {
          assert.equal(registered[index].isApplicable(task), false, JSON.stringify(task));
        }
        for (const other of channels.filter((c) => c !== channel)) {
          const task = { taskChannelUniqueName: other.uniqueName, channelType: "x", attributes: {} };
          assert.equal(registered[index].isApplicable(task), false);
        }
      });
    });
  });
}
