// Behaviour of generated Flex UI 2.x modules for taskCreation: taskrouter (path b) under
// `node --test`, against a recording fake of Flex UI 2.17's Actions (replaceAction runs the
// replacement with the payload, the original action and the next one, as ActionsImpl does)
// and ChatOrchestrator. tests/test_render.py names the cases in FLEXORCH_JS_CASES.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";

import { fakeFlex2Taskrouter, fakeManager2, settle } from "./fakes.mjs";

const casesFile = process.env.FLEXORCH_JS_CASES;
if (!casesFile) {
  throw new Error("FLEXORCH_JS_CASES is not set: run these through pytest (scripts/test -k node)");
}
const cases = JSON.parse(readFileSync(casesFile, "utf8")).filter(
  (testCase) => testCase.platform === "conversations-taskrouter",
);

for (const testCase of cases) {
  const { default: apply } = await import(pathToFileURL(testCase.module).href);
  const { channels, orchestrations } = testCase.expect;
  const managed = channels[0];

  function setUp() {
    const fake = fakeFlex2Taskrouter();
    apply(fake.flex, fakeManager2().manager);
    return fake;
  }

  describe(testCase.name, () => {
    for (const [action, step, event] of [
      ["AcceptTask", "accept", "accepted"],
      ["WrapupTask", "wrap", "wrapup"],
      ["CompleteTask", "complete", "completed"],
    ]) {
      it(`${action} on a managed-channel task: only the reservation step, never Flex's action`, async () => {
        const fake = setUp();
        const task = fake.task({ taskChannelUniqueName: managed.uniqueName });
        await fake.flex.Actions.invokeAction(action, { sid: task.sid });
        await settle();
        assert.deepEqual(fake.originals, []);
        assert.ok(fake.reservationSteps.includes(step));
        // Flex's ChatOrchestrator runs only flexorch:flexActions for the task.
        assert.deepEqual(fake.orchestrationsFor(event, task), orchestrations[event]);
        assert.ok(!fake.orchestrationsFor("accepted", task).includes("AddToConversation") ||
          orchestrations.accepted.includes("AddToConversation"));
      });

      it(`${action} on another task: Flex's original action runs untouched`, async () => {
        const fake = setUp();
        const task = fake.task({ taskChannelUniqueName: "chat", channelType: "web" });
        await fake.flex.Actions.invokeAction(action, { sid: task.sid });
        assert.deepEqual(fake.originals, [[action, { sid: task.sid, task }]]);
        assert.deepEqual(fake.reservationSteps, []);
        assert.deepEqual(fake.orchestrationsFor(event, task), fake.defaults[event]);
      });
    }
  });
}

it("received at least one rendered taskrouter module", () => {
  assert.ok(cases.length > 0);
});
