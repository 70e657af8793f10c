// Runs a generated orchestration module against the recording fakes and prints, as JSON, what
// it did: the Flex TaskChannel names it registered, which channels claim each probe task, the
// task attribute names it read for auto-accept, and the actions it invoked.
// Usage: node record.mjs <CustomMessagingOrchestration.js> <probe-tasks.json>
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

import { fakeFlex, fakeManager, settle } from "./fakes.mjs";

const [modulePath, probesPath] = process.argv.slice(2);
const { default: apply } = await import(pathToFileURL(modulePath).href);
const probes = JSON.parse(readFileSync(probesPath, "utf8"));

const { flex, calls, channels } = fakeFlex();
const worker = fakeManager();
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
worker.emit("reservationCreated", { sid: "WR0001", task: { attributes } });
await settle();

process.stdout.write(
  JSON.stringify({
    registered: calls.filter((c) => c.call === "createChatTaskChannel").map((c) => c.name),
    claims: probes.map((task) => channels.map((channel) => channel.isApplicable(task))),
    attributeReads,
    actions: calls.filter((c) => c.call === "invokeAction").map((c) => [c.name, c.payload]),
  }),
);
