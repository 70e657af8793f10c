// Behaviour of generated Flex UI 1.x CustomMessagingOrchestration modules under `node --test`.
// tests/test_render.py renders stacks and names them in FLEXORCH_JS_CASES, a JSON file of
// [{name, platform, module, expect: {channels: [{uniqueName, flexName, channelType}],
// orchestrations: {accepted, wrapup, completed}, autoAcceptAttribute}}]; the expectations come
// from the config. This file takes the programmable-chat cases (conversations.test.mjs the rest).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";

import { describeTaskChannels, unrelatedTasksOf } from "./channels.mjs";
import { deferred, fakeFlex, fakeManager, flexDefaults, settle } from "./fakes.mjs";

const casesFile = process.env.FLEXORCH_JS_CASES;
if (!casesFile) {
  throw new Error("FLEXORCH_JS_CASES is not set: run these through pytest (scripts/test -k node)");
}
const cases = JSON.parse(readFileSync(casesFile, "utf8")).filter(
  (testCase) => testCase.platform === "programmable-chat",
);
const EVENTS = ["accepted", "wrapup", "completed"];

for (const testCase of cases) {
  const { default: apply } = await import(pathToFileURL(testCase.module).href);
  const { channels, orchestrations, autoAcceptAttribute } = testCase.expect;

  /** Runs the module against fresh fakes. */
  function setUp(options) {
    const fake = fakeFlex(options);
    const worker = fakeManager();
    apply(fake.flex, worker.manager);
    return { ...fake, worker };
  }

  /** The callback the module set for one reservation event. */
  function callbackOf(events, event) {
    assert.equal(typeof events[event], "function", `${event} is set to a callback`);
    return events[event];
  }

  /** Sample tasks that belong to a channel: by TaskRouter channel, and by channelType if set. */
  function tasksOf(channel) {
    const tasks = [{ taskChannelUniqueName: channel.uniqueName, channelType: "chat", attributes: {} }];
    if (channel.channelType !== null) {
      tasks.push({ taskChannelUniqueName: "chat", channelType: channel.channelType, attributes: {} });
    }
    return tasks;
  }

  const unrelatedTasks = unrelatedTasksOf(channels);

  /** Emits reservationCreated for a task with these attributes; returns the fakes. */
  async function reserve(attributes, options) {
    const fake = setUp(options);
    fake.worker.emit("reservationCreated", { sid: "WR0123", task: { attributes } });
    await settle();
    return fake;
  }

  const actions = (calls) =>
    calls.filter((c) => c.call === "invokeAction").map((c) => [c.name, c.payload]);

  describe(testCase.name, () => {
    describeTaskChannels(channels, setUp);

    describe("chat orchestrations", () => {
      it("overrides accepted, wrapup and completed once each, reading each before setting it", () => {
        const { calls } = setUp();
        const orchestrator = calls.filter((c) => /Orchestrations$/.test(c.call));
        assert.deepEqual(
          orchestrator,
          EVENTS.flatMap((event) => [
            { call: "getOrchestrations", event },
            { call: "setOrchestrations", event },
          ]),
        );
      });

      it("never clears all orchestrations", () => {
        const { calls } = setUp();
        assert.equal(calls.filter((c) => c.call === "clearAllOrchestrations").length, 0);
      });

      for (const event of EVENTS) {
        it(`${event}: tasks of managed channels get the configured orchestrations`, () => {
          const { events } = setUp();
          for (const channel of channels) {
            for (const task of tasksOf(channel)) {
              assert.deepEqual(callbackOf(events, event)(task), orchestrations[event]);
            }
          }
        });

        it(`${event}: other tasks keep the previous array`, () => {
          const previous = flexDefaults();
          const { events } = setUp({ orchestrations: previous });
          for (const task of unrelatedTasks) {
            assert.deepEqual(callbackOf(events, event)(task), previous[event]);
          }
        });

        it(`${event}: other tasks get the previous callback's answer for the same task`, () => {
          const seen = [];
          const answer = ["LeaveChatChannel"];
          const previousCallback = (task) => {
            seen.push(task);
            return answer;
          };
          const { events } = setUp({ orchestrations: { ...flexDefaults(), [event]: previousCallback } });
          for (const task of unrelatedTasks) {
            assert.equal(callbackOf(events, event)(task), answer);
          }
          assert.equal(seen.length, unrelatedTasks.length);
          seen.forEach((task, i) => assert.equal(task, unrelatedTasks[i]));
        });

        it(`${event}: managed tasks never reach the previous callback`, () => {
          let called = 0;
          const previousCallback = () => {
            called += 1;
            return [];
          };
          const { events } = setUp({ orchestrations: { ...flexDefaults(), [event]: previousCallback } });
          for (const channel of channels) {
            for (const task of tasksOf(channel)) callbackOf(events, event)(task);
          }
          assert.equal(called, 0);
        });
      }
    });

    describe("auto-accept", () => {
      it("listens to reservationCreated only", () => {
        const { worker } = setUp();
        assert.deepEqual(worker.calls, [{ call: "on", event: "reservationCreated" }]);
      });

      for (const [label, value] of [["'true'", "true"], ["true", true]]) {
        it(`accepts then selects the reservation when the attribute is ${label}`, async () => {
          const { calls } = await reserve({ [autoAcceptAttribute]: value });
          assert.deepEqual(actions(calls), [
            ["AcceptTask", { sid: "WR0123" }],
            ["SelectTask", { sid: "WR0123" }],
          ]);
        });
      }

      const ignored = [
        ["'false'", { [autoAcceptAttribute]: "false" }],
        ["missing", {}],
        ["1", { [autoAcceptAttribute]: 1 }],
        ["false", { [autoAcceptAttribute]: false }],
        ["'TRUE'", { [autoAcceptAttribute]: "TRUE" }],
        ["set on another attribute", { [`${autoAcceptAttribute}x`]: "true" }],
      ];
      for (const [label, attributes] of ignored) {
        it(`does nothing when the attribute is ${label}`, async () => {
          const { calls } = await reserve(attributes);
          assert.deepEqual(actions(calls), []);
        });
      }

      it("selects only after AcceptTask has resolved", async () => {
        const accept = deferred();
        const invokeAction = (name) => (name === "AcceptTask" ? accept.promise : Promise.resolve());
        const { calls } = await reserve({ [autoAcceptAttribute]: "true" }, { invokeAction });
        assert.deepEqual(actions(calls), [["AcceptTask", { sid: "WR0123" }]]);
        accept.resolve();
        await settle();
        assert.deepEqual(actions(calls).map(([name]) => name), ["AcceptTask", "SelectTask"]);
      });

      it("logs a rejected AcceptTask instead of throwing, and does not select", async (t) => {
        const error = t.mock.method(console, "error", () => {});
        const unhandled = [];
        const onUnhandled = (reason) => unhandled.push(reason);
        process.on("unhandledRejection", onUnhandled);
        try {
          const failure = new Error("reservation already accepted");
          const invokeAction = () => Promise.reject(failure);
          const { calls } = await reserve({ [autoAcceptAttribute]: true }, { invokeAction });
          await settle();
          assert.deepEqual(actions(calls).map(([name]) => name), ["AcceptTask"]);
          assert.equal(error.mock.callCount(), 1);
          assert.ok(error.mock.calls[0].arguments.includes(failure));
          assert.deepEqual(unhandled, []);
        } finally {
          process.off("unhandledRejection", onUnhandled);
        }
      });

      it("logs a reservation without a task instead of throwing", async (t) => {
        const error = t.mock.method(console, "error", () => {});
        const { calls, worker } = setUp();
        assert.doesNotThrow(() => worker.emit("reservationCreated", { sid: "WR0123" }));
        await settle();
        assert.deepEqual(actions(calls), []);
        assert.equal(error.mock.callCount(), 1);
      });
    });
  });
}

// Guard against a run that silently tested nothing.
it("received at least one rendered Flex UI 1.x module", () => {
  assert.ok(cases.length > 0);
});
