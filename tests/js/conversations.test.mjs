// Behaviour of generated Flex UI 2.x CustomMessagingOrchestration modules (platform
// conversations) under `node --test`. tests/test_render.py names them in FLEXORCH_JS_CASES
// (see orchestration.test.mjs); this file takes the conversations cases. The fakes make any use
// of flex.ChatOrchestrator fail, and give the manager no workerClient (Flex UI 2.x's degraded
// mode), so a module relying on either fails here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";

import { describeTaskChannels } from "./channels.mjs";
import { deferred, fakeFlex2, fakeManager2, settle } from "./fakes.mjs";

const casesFile = process.env.FLEXORCH_JS_CASES;
if (!casesFile) {
  throw new Error("FLEXORCH_JS_CASES is not set: run these through pytest (scripts/test -k node)");
}
const cases = JSON.parse(readFileSync(casesFile, "utf8")).filter(
  (testCase) => testCase.platform === "conversations",
);

for (const testCase of cases) {
  const { default: apply } = await import(pathToFileURL(testCase.module).href);
  const { channels, autoAcceptAttribute } = testCase.expect;

  /** Runs the module against fresh fakes. */
  function setUp(options) {
    const fake = fakeFlex2(options);
    const flexManager = fakeManager2();
    apply(fake.flex, flexManager.manager);
    return { ...fake, flexManager };
  }

  /** Flex tells of a new reservation: an ITask whose sid is the reservation's. */
  function reservedTask(attributes) {
    return { sid: "WR0123", taskSid: "WT0456", taskChannelUniqueName: "custom1", attributes };
  }

  /** Emits taskReceived for a task with these attributes; returns the fakes. */
  async function reserve(attributes, options) {
    const fake = setUp(options);
    fake.flexManager.emit("taskReceived", reservedTask(attributes));
    await settle();
    return fake;
  }

  const actions = (calls) =>
    calls.filter((c) => c.call === "invokeAction").map((c) => [c.name, c.payload]);

  describe(testCase.name, () => {
    describeTaskChannels(channels, setUp);

    describe("no chat orchestration", () => {
      it("never reads flex.ChatOrchestrator or ChatOrchestratorEvent, even on auto-accept", async () => {
        const { forbidden, reads } = await reserve({ [autoAcceptAttribute]: "true" });
        assert.deepEqual(forbidden, []);
        assert.ok(reads.length > 0, "the fake saw the module's reads");
      });

      it("reads only manager.events, never manager.workerClient", async () => {
        const { flexManager } = await reserve({ [autoAcceptAttribute]: true });
        assert.deepEqual(flexManager.reads, ["events"]);
      });
    });

    describe("auto-accept", () => {
      it("listens to Flex's taskReceived only", () => {
        const { flexManager } = setUp();
        assert.deepEqual(flexManager.calls, [{ call: "addListener", event: "taskReceived" }]);
      });

      for (const [label, value] of [["'true'", "true"], ["true", true]]) {
        it(`accepts then selects the reservation when the attribute is ${label}`, async () => {
          const { calls, forbidden } = await reserve({ [autoAcceptAttribute]: value });
          assert.deepEqual(actions(calls), [
            ["AcceptTask", { sid: "WR0123" }],
            ["SelectTask", { sid: "WR0123" }],
          ]);
          assert.deepEqual(forbidden, []);
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

      it("logs a rejected SelectTask instead of throwing", async (t) => {
        const error = t.mock.method(console, "error", () => {});
        const failure = new Error("task is gone");
        const invokeAction = (name) => (name === "SelectTask" ? Promise.reject(failure) : Promise.resolve());
        const { calls } = await reserve({ [autoAcceptAttribute]: "true" }, { invokeAction });
        await settle();
        assert.deepEqual(actions(calls).map(([name]) => name), ["AcceptTask", "SelectTask"]);
        assert.equal(error.mock.callCount(), 1);
        assert.ok(error.mock.calls[0].arguments.includes(failure));
      });

      it("logs a task without attributes instead of throwing", async (t) => {
        const error = t.mock.method(console, "error", () => {});
        const { calls, flexManager } = setUp();
        assert.doesNotThrow(() => flexManager.emit("taskReceived", { sid: "WR0123" }));
        await settle();
        assert.deepEqual(actions(calls), []);
        assert.equal(error.mock.callCount(), 1);
      });
    });
  });
}

// Guard against a run that silently tested nothing.
it("received at least one rendered Flex UI 2.x module", () => {
  assert.ok(cases.length > 0);
});
