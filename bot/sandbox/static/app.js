// The sandbox page: plays Slack for one person at a time, over the sandbox's JSON API (see bot/sandbox/api.py).
// It keeps what that person sees (messages, modals, App Home) from the feed, and sends what they do.
import {
  clockNote, clockText, confirmDialog, el, hideModal, renderMessages, renderModal, renderSurface, renderTour,
} from "./views.js";

const $ = (id) => document.getElementById(id);
const state = {
  world: null,
  me: null,
  channel: null, // a channel id, or "app" for Flagpost's Home / Messages
  appTab: "home",
  seq: 0,
  messages: new Map(),
  modals: [],
  home: null,
  tour: [],
  clock: null,
  clockAt: 0,
  threadTs: null,
  unread: new Map(),
  inputs: {}, // the open modal's inputs: block_id → action_id → getter
  saved: {}, // values typed into a modal, kept across re-renders of the same view
  shownView: null,
  shownKey: null,
  generation: 0,
  poll: null,
};

// ----- the API

async function call(path, body) {
  const response = await fetch(`/sandbox/api/${path}`, {
    method: body ? "POST" : "GET",
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

function status(text, kind = "") {
  const line = $("status");
  line.textContent = text;
  line.className = kind;
}

function reportOutcome(outcome, what) {
  if (Object.keys(outcome.errors || {}).length) status("Some fields need another look: see the form.", "warn");
  else if (outcome.unknown) status(`${what}: Flagpost does not handle this yet.`, "warn");
  else if (!outcome.sent) status("")
  else if (outcome.status !== 200) status(`${what}: Flagpost answered HTTP ${outcome.status}.`, "error");
  else if (outcome.slow) status(`${what}: Flagpost took ${outcome.ack_ms} ms; Slack gives up after 3 s.`, "error");
  else status(`Flagpost acknowledged in ${outcome.ack_ms} ms.`);
}

async function act(path, body, what) {
  try {
    const outcome = await call(path, { as: state.me, ...body });
    reportOutcome(outcome, what);
    return outcome;
  } catch (error) {
    status(`${what}: ${error.message}`, "error");
    return null;
  }
}

// ----- rendering context

function ctx(extra = {}) {
  const world = state.world;
  const names = new Map(world.people.map((p) => [p.id, p.name]));
  names.set(world.bot.id, world.bot.name);
  names.set(world.slackbot.id, world.slackbot.name);
  return {
    botId: world.bot.id,
    slackbotId: world.slackbot.id,
    people: world.people,
    channels: world.channels,
    shortcuts: world.shortcuts,
    timezone: world.organization.timezone,
    nameOf: (id) => names.get(id) || id,
    channelName: (id) => (world.channels.find((c) => c.id === id) || { name: id }).name,
    now: () => (state.clock ? state.clock.epoch + (performance.now() - state.clockAt) / 1000 : Date.now() / 1000),
    ...extra,
  };
}

const messageActions = {
  act: async (where, blockId, element, value) => {
    if (element.confirm && !(await confirmDialog(element.confirm, ctx()))) return;
    await act("action", { ...where, block_id: blockId, action_id: element.action_id, value }, "That click");
  },
  replyTo: (ts) => {
    state.threadTs = ts;
    $("thread-note").hidden = false;
    $("message-box").focus();
  },
  shortcut: (message, callbackId) =>
    act("shortcut", { channel: message.channel, ts: message.ts, callback_id: callbackId }, "The shortcut"),
};

function dmChannel() {
  return `D${state.me}`;
}

function currentChannel() {
  return state.channel === "app" ? dmChannel() : state.channel;
}

function render() {
  if (!state.world) return;
  renderSidebar();
  const inApp = state.channel === "app";
  const showHome = inApp && state.appTab === "home";
  $("app-tabs").hidden = !inApp;
  $("tab-home").classList.toggle("active", showHome);
  $("tab-messages").classList.toggle("active", inApp && !showHome);
  $("messages").hidden = showHome;
  $("home").hidden = !showHome;
  $("composer").hidden = showHome;
  const title = inApp ? state.world.bot.name : `# ${ctx().channelName(state.channel)}`;
  $("pane-title").textContent = title;
  $("topbar-title").textContent = title;
  $("message-box").placeholder = inApp ? "Message Flagpost" : `Message #${ctx().channelName(state.channel)}`;
  if (showHome) renderHome();
  else {
    const here = [...state.messages.values()].filter((m) => m.channel === currentChannel());
    const empty = inApp ? "Send Flagpost a question about the social-media policy." : "Nothing here yet.";
    renderMessages($("messages"), here, ctx({ emptyText: empty }), messageActions);
  }
  renderModalStack();
  renderTour($("steps"), state.tour, ctx(), goToStep);
  renderClock();
}

function renderSidebar() {
  const list = $("channels");
  list.replaceChildren();
  for (const channel of state.world.channels) list.appendChild(navItem(channel.id, `# ${channel.name}`));
  const apps = $("apps");
  apps.replaceChildren(navItem("app", `⚑ ${state.world.bot.name}`, dmChannel()));
  const me = state.world.people.find((p) => p.id === state.me);
  $("me-roles").textContent = me ? me.roles.join(" · ") : "";
}

function navItem(id, label, unreadKey = id) {
  const li = el("li");
  const b = el("button", `nav-item${state.channel === id ? " active" : ""}`, label);
  b.type = "button";
  b.dataset.channel = id;
  const unread = state.unread.get(unreadKey) || 0;
  if (unread) b.appendChild(el("span", "badge", String(unread)));
  b.addEventListener("click", () => openChannel(id));
  li.appendChild(b);
  return li;
}

function renderHome() {
  const surface = {
    onAction: (blockId, element, value) =>
      state.home && messageActions.act({ view_id: state.home.id }, blockId, element, value),
    register: () => {},
  };
  renderSurface($("home"), state.home, ctx(), surface);
}

function collect() {
  const values = {};
  for (const [blockId, actions] of Object.entries(state.inputs)) {
    values[blockId] = {};
    for (const [actionId, get] of Object.entries(actions)) values[blockId][actionId] = get();
  }
  return values;
}

function renderModalStack() {
  const view = state.modals[state.modals.length - 1];
  if (!view) {
    state.shownView = null;
    state.shownKey = null;
    state.inputs = {};
    hideModal($("overlay"));
    return;
  }
  const key = `${view.id}:${view.hash}`;
  const shown = `${key}:${JSON.stringify(view.errors || {})}`;
  if (shown === state.shownKey && !$("overlay").hidden) return; // unchanged: leave the person typing
  if (state.shownView && state.shownView.startsWith(`${view.id}:`)) {
    if (state.shownView === key) state.saved[view.id] = collect(); // same content: keep what was typed
    else delete state.saved[view.id]; // the bot replaced the view: start from its initial values
  }
  state.shownView = key;
  state.shownKey = shown;
  state.inputs = {};
  const surface = {
    errors: view.errors,
    saved: state.saved[view.id],
    register: (blockId, actionId, get) => {
      state.inputs[blockId] = state.inputs[blockId] || {};
      state.inputs[blockId][actionId] = get;
    },
    onAction: (blockId, element, value) =>
      messageActions.act({ view_id: view.id, values: collect() }, blockId, element, value),
  };
  renderModal($("overlay"), view, state.modals.length, ctx(), surface, {
    submit: () => act("submit", { view_id: view.id, values: collect() }, "The form"),
    close: () => act("close", { view_id: view.id, values: collect() }, "Closing"),
  });
}

function renderClock() {
  if (!state.clock) return;
  $("clock-now").textContent = clockText(state.clock, ctx());
  $("clock-note").textContent = clockNote(state.clock);
}

// ----- the feed

function apply(data) {
  for (const message of data.messages || []) {
    const key = `${message.channel}|${message.ts}`;
    const isNew = !state.messages.has(key);
    if (message.deleted) state.messages.delete(key);
    else state.messages.set(key, message);
    const seen = message.channel === currentChannel() && !(state.channel === "app" && state.appTab === "home");
    if (isNew && !seen && message.user !== state.me && state.loaded) {
      state.unread.set(message.channel, (state.unread.get(message.channel) || 0) + 1);
    }
  }
  if (data.modals) state.modals = data.modals;
  if (data.home) state.home = data.home;
  if (data.tour) state.tour = data.tour;
  if (data.clock) {
    state.clock = data.clock;
    state.clockAt = performance.now();
  }
  state.seq = data.seq;
  state.loaded = true;
  render();
}

async function pollFeed(generation) {
  let first = true; // the first answer comes at once; after it, the sandbox holds the call until a change
  while (generation === state.generation) {
    const controller = new AbortController();
    state.poll = controller;
    try {
      const wait = first ? 0 : 20;
      first = false;
      const response = await fetch(`/sandbox/api/feed?as=${encodeURIComponent(state.me)}&since=${state.seq}&wait=${wait}`, { signal: controller.signal });
      const data = await response.json();
      if (generation !== state.generation) return;
      if (!response.ok) throw new Error(data.error);
      apply(data);
    } catch (error) {
      if (generation !== state.generation) return;
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the sandbox restarted or is busy
    }
  }
}

function becomeUser(user) {
  state.generation += 1;
  if (state.poll) state.poll.abort();
  Object.assign(state, { me: user, seq: 0, loaded: false, messages: new Map(), modals: [], home: null, unread: new Map(), saved: {}, shownView: null, shownKey: null, threadTs: null });
  $("me").value = user;
  $("thread-note").hidden = true;
  history.replaceState(null, "", `?as=${encodeURIComponent(user)}`);
  pollFeed(state.generation);
}

function openChannel(id, tab) {
  state.channel = id;
  if (tab) state.appTab = tab;
  state.unread.delete(id === "app" ? dmChannel() : id);
  state.threadTs = null;
  $("thread-note").hidden = true;
  document.body.classList.remove("show-sidebar");
  render();
  if (id === "app" && state.appTab === "home") act("home", {}, "App Home");
}

function goToStep(step) {
  if (step.who.id && step.who.id !== state.me) becomeUser(step.who.id);
  const target = step.channel;
  if (target === "home") openChannel("app", "home");
  else if (target && target.startsWith("D")) openChannel("app", "messages");
  else openChannel(target || state.world.channels[0].id);
  document.body.classList.remove("show-tour");
  $("message-box").focus();
}

// ----- the message box

function showHints() {
  const text = $("message-box").value;
  const hints = $("command-hints");
  hints.replaceChildren();
  const word = text.split(" ")[0];
  const matching = text.startsWith("/") && !text.includes(" ") ? state.world.commands.filter((c) => c.command.startsWith(word)) : [];
  hints.hidden = !matching.length;
  for (const command of matching) {
    const b = el("button", "hint-item");
    b.type = "button";
    b.append(el("strong", null, command.command), el("span", null, ` ${command.usage_hint || ""}`), el("small", null, command.description));
    b.addEventListener("click", () => {
      $("message-box").value = `${command.command} `;
      hints.hidden = true;
      $("message-box").focus();
    });
    hints.appendChild(el("li")).appendChild(b);
  }
}

async function send(event) {
  event.preventDefault();
  const box = $("message-box");
  const text = box.value.trim();
  if (!text) return;
  box.value = "";
  $("command-hints").hidden = true;
  const body = { channel: currentChannel(), text };
  if (state.threadTs && !text.startsWith("/")) body.thread_ts = state.threadTs;
  await act("send", body, text.startsWith("/") ? text.split(" ")[0] : "Your message");
}

function wire() {
  $("composer").addEventListener("submit", send);
  $("message-box").addEventListener("input", showHints);
  $("message-box").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) send(event);
  });
  $("thread-cancel").addEventListener("click", () => { state.threadTs = null; $("thread-note").hidden = true; });
  $("me").addEventListener("change", () => { becomeUser($("me").value); render(); });
  $("tab-home").addEventListener("click", () => openChannel("app", "home"));
  $("tab-messages").addEventListener("click", () => openChannel("app", "messages"));
  $("toggle-sidebar").addEventListener("click", () => document.body.classList.toggle("show-sidebar"));
  $("toggle-tour").addEventListener("click", () => document.body.classList.toggle("show-tour"));
  document.querySelectorAll("#clock-panel [data-minutes], #clock-panel [data-to]").forEach((b) =>
    b.addEventListener("click", async () => {
      const body = b.dataset.to ? { to: b.dataset.to } : { minutes: Number(b.dataset.minutes) };
      try {
        const answer = await call("clock", body);
        state.clock = answer.clock;
        state.clockAt = performance.now();
        status(`The clock moved to ${clockText(answer.clock, ctx())}; what was due has run.`);
        render();
      } catch (error) {
        status(`The clock: ${error.message}`, "error");
      }
    }));
  setInterval(renderClock, 15000);
}

async function start() {
  state.world = await call("world");
  const people = state.world.people;
  const select = $("me");
  for (const person of people) {
    const option = el("option", null, `${person.name} — ${person.roles.join(", ")}`);
    option.value = person.id;
    select.appendChild(option);
  }
  $("workspace-name").textContent = state.world.organization.name;
  document.title = `${state.world.organization.name} · Flagpost sandbox`;
  state.tour = state.world.tour;
  state.clock = state.world.clock;
  state.clockAt = performance.now();
  const asked = new URLSearchParams(location.search).get("as");
  state.channel = state.world.channels[0].id;
  wire();
  becomeUser(people.some((p) => p.id === asked) ? asked : people[0].id);
  render();
  status("Type / for Flagpost's commands, or follow the guided tour.");
}

start().catch((error) => status(`The sandbox did not answer: ${error.message}`, "error"));
