// Recording fakes of the Flex UI 1.x and 2.x objects that the generated
// CustomMessagingOrchestration module touches: just enough of `flex` and `manager` to run it
// under Node and see every call.

/** The members of Flex's ChatOrchestratorEvent enum (their values are their names). */
export const ChatOrchestratorEvent = Object.freeze({
  AddToChatChannel: "AddToChatChannel",
  DeactivateChatChannel: "DeactivateChatChannel",
  LeaveChatChannel: "LeaveChatChannel",
});

/** What Flex UI 1.x has in place before any plugin runs. */
export function flexDefaults() {
  return {
    accepted: [ChatOrchestratorEvent.AddToChatChannel],
    wrapup: [ChatOrchestratorEvent.DeactivateChatChannel],
    completed: [ChatOrchestratorEvent.LeaveChatChannel],
  };
}

/**
 * A fake `flex` that records every call in `calls`, in order.
 * @param {object} [options]
 * @param {Record<string, unknown>} [options.orchestrations] what getOrchestrations returns before
 *   the module overrides it (default: Flex's own defaults)
 * @param {(name: string, payload: unknown) => Promise<unknown>} [options.invokeAction] how
 *   Actions.invokeAction answers (default: resolves at once)
 */
export function fakeFlex({ orchestrations = flexDefaults(), invokeAction } = {}) {
  const calls = [];
  const events = { ...orchestrations };
  const channels = [];
  const flex = {
    ChatOrchestratorEvent,
    DefaultTaskChannels: {
      createChatTaskChannel(name, isApplicable, ...rest) {
        calls.push({ call: "createChatTaskChannel", name, rest });
        return { name, isApplicable, kind: "chat" };
      },
    },
    TaskChannels: {
      register(definition, ...rest) {
        calls.push({ call: "register", name: definition.name, rest });
        channels.push(definition);
        return definition;
      },
    },
    ChatOrchestrator: {
      getOrchestrations(event) {
        calls.push({ call: "getOrchestrations", event });
        return events[event];
      },
      setOrchestrations(event, value) {
        calls.push({ call: "setOrchestrations", event });
        events[event] = value;
      },
      clearAllOrchestrations() {
        calls.push({ call: "clearAllOrchestrations" });
      },
    },
    Actions: {
      invokeAction(name, payload) {
        calls.push({ call: "invokeAction", name, payload });
        return invokeAction ? invokeAction(name, payload) : Promise.resolve();
      },
    },
  };
  return { flex, calls, channels, events };
}

/** A fake `manager` whose workerClient records listeners; `emit` calls them. */
export function fakeManager() {
  const calls = [];
  const listeners = new Map();
  const workerClient = {
    on(event, listener) {
      calls.push({ call: "on", event });
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return workerClient;
    },
  };
  return {
    manager: { workerClient },
    calls,
    emit(event, ...args) {
      for (const listener of listeners.get(event) ?? []) listener(...args);
    },
  };
}

/** Resolves once every pending promise callback has run. */
export function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A promise with its resolve and reject exposed. */
export function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// --- Flex UI 2.x (platform conversations) -------------------------------------------------

/** What a Flex UI 2.x module may read from `flex`; ChatOrchestrator* are Programmable Chat's. */
const FLEX2_MEMBERS = new Set(["DefaultTaskChannels", "TaskChannels", "Actions"]);

/**
 * A fake Flex UI 2.x `flex`, recording like `fakeFlex`. Every property read is listed in
 * `reads`; reading ChatOrchestrator or ChatOrchestratorEvent (or anything else a 2.x module has
 * no business with) is also listed in `forbidden` and throws, so such a module fails its tests
 * even where it would swallow the error.
 * @param {object} [options]
 * @param {(name: string, payload: unknown) => Promise<unknown>} [options.invokeAction] how
 *   Actions.invokeAction answers (default: resolves at once)
 */
export function fakeFlex2({ invokeAction } = {}) {
  const { flex: target, calls, channels } = fakeFlex({ invokeAction });
  const reads = [];
  const forbidden = [];
  const flex = new Proxy(target, {
    get(object, key, receiver) {
      if (typeof key === "symbol") return Reflect.get(object, key, receiver);
      reads.push(key);
      if (!FLEX2_MEMBERS.has(key)) {
        forbidden.push(key);
        throw new Error(`flex.${key}: not for a Flex UI 2.x module on Flex Conversations`);
      }
      return Reflect.get(object, key, receiver);
    },
  });
  return { flex, calls, channels, reads, forbidden };
}

/**
 * A fake Flex UI 2.x `manager`: Flex's event emitter (`manager.events`) records listeners and
 * `emit` calls them. Its workerClient is undefined, as in Flex UI 2.x's degraded mode; every
 * property read of the manager is listed in `reads`.
 */
export function fakeManager2() {
  const calls = [];
  const reads = [];
  const listeners = new Map();
  const events = {
    addListener(event, listener) {
      calls.push({ call: "addListener", event });
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return events;
    },
  };
  const manager = new Proxy(
    { events, workerClient: undefined },
    {
      get(object, key, receiver) {
        if (typeof key !== "symbol") reads.push(key);
        return Reflect.get(object, key, receiver);
      },
    },
  );
  return {
    manager,
    calls,
    reads,
    emit(event, ...args) {
      for (const listener of listeners.get(event) ?? []) listener(...args);
    },
  };
}

// --- Flex UI 2.x with taskCreation: taskrouter ---------------------------------------------

/**
 * A fake Flex UI 2.17 `flex` for path (b) modules: Actions as ActionsImpl runs them (payload
 * update from sid to task, then the replacements, each given the original and the next), and a
 * ChatOrchestrator with Flex UI 2.x's defaults. Flex's original actions are recorded in
 * `originals` (they would add or remove the agent); `reservationSteps` records what the TaskRouter
 * reservation behind a task did.
 */
export function fakeFlex2Taskrouter() {
  const defaults = {
    accepted: ["AddToConversation"],
    wrapup: ["DeactivateConversation"],
    completed: ["DeactivateConversation", "LeaveConversation"],
  };
  const events = { ...defaults };
  const tasks = new Map();
  const originals = [];
  const reservationSteps = [];
  const replaced = new Map();
  const calls = [];
  const channels = [];
  const original = (name) => async (payload) => {
    originals.push([name, payload]);
  };
  const orchestrationsFor = (event, task) => {
    const value = events[event];
    return typeof value === "function" ? value(task) : value;
  };
  const flex = {
    ChatOrchestratorEvent: Object.freeze({
      AddToConversation: "AddToConversation",
      DeactivateConversation: "DeactivateConversation",
      LeaveConversation: "LeaveConversation",
    }),
    DefaultTaskChannels: {
      createChatTaskChannel(name, isApplicable) {
        calls.push({ call: "createChatTaskChannel", name });
        const definition = { name, isApplicable };
        channels.push(definition);
        return definition;
      },
    },
    TaskChannels: { register: (definition) => definition },
    ChatOrchestrator: {
      getOrchestrations: (event) => events[event],
      setOrchestrations: (event, value) => {
        events[event] = value;
      },
      orchestrateWrapupTask: async (task) => orchestrationsFor("wrapup", task).length > 0,
      orchestrateCompleteTask: async (task) => orchestrationsFor("completed", task).length > 0,
    },
    Actions: {
      replaceAction(name, action) {
        replaced.set(name, [...(replaced.get(name) ?? []), action]);
      },
      async invokeAction(name, payload) {
        calls.push({ call: "invokeAction", name, payload });
        const updated = payload.sid && !payload.task ? { ...payload, task: tasks.get(payload.sid) } : payload;
        const chain = replaced.get(name) ?? [];
        const run = (index, p) =>
          index >= 0 ? chain[index](p, original(name), (q) => run(index - 1, q)) : original(name)(p);
        return run(chain.length - 1, updated);
      },
    },
  };
  let count = 0;
  function task(fields) {
    const sid = `WR${String(++count).padStart(4, "0")}`;
    const reservation = Object.fromEntries(
      ["accept", "wrap", "complete"].map((step) => [step, async () => reservationSteps.push(step)]),
    );
    const made = { sid, attributes: {}, sourceObject: reservation, ...fields };
    tasks.set(sid, made);
    return made;
  }
  return { flex, calls, channels, originals, reservationSteps, orchestrationsFor, defaults, task };
}
