// Runs a generated orchestration module against the recording fakes and prints, as JSON, what
// it did: the Flex TaskChannel names it registered, which channels claim each probe task, the
// task attribute names it read for auto-accept, and the actions it invoked.
// Usage: node record.mjs <CustomMessagingOrchestration.js> <probe-tasks.json> [<platform>]
//   platform: programmable-chat (Flex UI 1.x, the default), conversations (Flex UI 2.x) or
//   conversations-taskrouter (Flex UI 2.x, taskCreation: taskrouter)
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

import {
  fakeFlex,
  fakeFlex2,
  fakeFlex2Taskrouter,
  fakeManager,
  fakeManager2,
  settle,
} from "./fakes.mjs";

const [modulePath, probesPath, platform = "programmable-chat"] = process.argv.slice(2);
const { default: apply } = await import(pathToFileURL(modulePath).href);
const probes = JSON.parse(readFileSync(probesPath, "utf8"));

const fakes = {
  "programmable-chat": fakeFlex,
  conversations: fakeFlex2,
  "conversations-taskrouter": fakeFlex2Taskrouter,
};
const flexUi2 = platform !== "programmable-chat";
const { flex, calls, channels } = fakes[platform]();
const worker = flexUi2 ? fakeManager2() : fakeManager();
apply(flex, worker.manager);

const attributeReads = [];
const attributes = new Proxy(
  {},
  {
    get(_target, key) {
      attributeReads.push(String(key));
      return "true";
    },
  },
);
if (flexUi2) {
  worker.emit("taskReceived", { sid: "WR0001", attributes }); // Flex UI 2.x: an ITask
} else {
  worker.emit("reservationCreated", { sid: "WR0001", task: { attributes } });
}
await settle();

process.stdout.write(
  JSON.stringify({
    registered: calls.filter((c) => c.call === "createChatTaskChannel").map((c) => c.name),
    claims: probes.map((task) => channels.map((channel) => channel.isApplicable(task))),
    attributeReads,
    actions: calls.filter((c) => c.call === "invokeAction").map((c) => [c.name, c.payload]),
  }),
);
