// What the page shows: the message list, the modal on top, App Home, the tour, the clock and dialogs.
// Pure rendering from the page's state; app.js owns the state and the calls to the sandbox's API.
import { renderBlocks } from "./blockkit.js";
import { formatDate, renderMrkdwn, renderPlain, plainOf } from "./mrkdwn.js";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("") || "?";
}

function hue(id) {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) % 360;
  return h;
}

function avatar(id, name, isBot, ctx) {
  const mark = id === ctx.slackbotId ? "✱" : "⚑";
  const node = el("div", `avatar${isBot ? " bot" : ""}`, isBot ? mark : initials(name));
  if (!isBot) node.style.setProperty("--hue", String(hue(id)));
  node.setAttribute("aria-hidden", "true");
  return node;
}

// ----- messages

function messageNode(message, ctx, actions) {
  const isBot = message.user === ctx.botId || message.user === ctx.slackbotId;
  const name = ctx.nameOf(message.user);
  const node = el("div", `message${message.ephemeral ? " ephemeral" : ""}`);
  node.dataset.ts = message.ts;
  node.dataset.channel = message.channel;
  node.appendChild(avatar(message.user, name, isBot, ctx));
  const body = el("div", "message-body");
  const meta = el("div", "meta");
  meta.appendChild(el("span", "author", name));
  if (isBot) meta.appendChild(el("span", "app-badge", "APP"));
  const time = el("time", "time", formatDate(Number(message.ts.split(".")[0]), "{time}", ctx));
  meta.appendChild(time);
  if (message.edited) meta.appendChild(el("span", "edited", "(edited)"));
  body.appendChild(meta);
  if (message.ephemeral) body.appendChild(el("div", "only-you", "👁 Only visible to you"));
  const surface = {
    onAction: (blockId, element, value) => actions.act({ channel: message.channel, ts: message.ts }, blockId, element, value),
    register: () => {},
  };
  body.appendChild(message.blocks && message.blocks.length ? renderBlocks(message.blocks, ctx, surface) : renderMrkdwn(message.text, ctx));
  node.appendChild(body);
  if (!message.ephemeral) node.appendChild(hoverActions(message, ctx, actions));
  return node;
}

function hoverActions(message, ctx, actions) {
  const bar = el("div", "hover-actions");
  if (!message.thread_ts || message.thread_ts === message.ts) {
    const reply = el("button", "icon-btn", "↩ Reply");
    reply.type = "button";
    reply.title = "Reply in thread";
    reply.addEventListener("click", () => actions.replyTo(message.ts));
    bar.appendChild(reply);
  }
  const more = el("button", "icon-btn more", "⋮");
  more.type = "button";
  more.title = "More actions";
  more.setAttribute("aria-label", "More actions");
  more.addEventListener("click", (event) => {
    event.stopPropagation();
    showMenu(more, ctx.shortcuts.map((s) => ({ label: s.name, run: () => actions.shortcut(message, s.callback_id) })));
  });
  bar.appendChild(more);
  return bar;
}

function showMenu(anchor, items) {
  document.querySelectorAll(".menu").forEach((m) => m.remove());
  const menu = el("ul", "menu");
  menu.setAttribute("role", "menu");
  for (const item of items) {
    const li = el("li");
    const b = el("button", "menu-item", item.label);
    b.type = "button";
    b.setAttribute("role", "menuitem");
    b.addEventListener("click", () => { menu.remove(); item.run(); });
    li.appendChild(b);
    menu.appendChild(li);
  }
  anchor.parentElement.appendChild(menu);
  setTimeout(() => document.addEventListener("click", () => menu.remove(), { once: true }), 0);
}

export function renderMessages(container, messages, ctx, actions) {
  const top = messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts).sort((a, b) => a.order - b.order);
  const replies = new Map();
  for (const m of messages) {
    if (m.thread_ts && m.thread_ts !== m.ts) {
      if (!replies.has(m.thread_ts)) replies.set(m.thread_ts, []);
      replies.get(m.thread_ts).push(m);
    }
  }
  const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  container.replaceChildren();
  if (!top.length) container.appendChild(el("div", "empty", ctx.emptyText));
  for (const message of top) {
    container.appendChild(messageNode(message, ctx, actions));
    const thread = (replies.get(message.ts) || []).sort((a, b) => a.order - b.order);
    if (thread.length) {
      const box = el("div", "thread");
      box.appendChild(el("div", "thread-count", `${thread.length} repl${thread.length === 1 ? "y" : "ies"}`));
      for (const reply of thread) box.appendChild(messageNode(reply, ctx, actions));
      container.appendChild(box);
    }
  }
  if (nearBottom || ctx.scrollToEnd) container.scrollTop = container.scrollHeight;
}

// ----- App Home and modals

export function renderSurface(container, view, ctx, surface) {
  container.replaceChildren();
  if (!view) {
    container.appendChild(el("div", "empty", "Flagpost has not published a Home tab for you yet."));
    return;
  }
  container.appendChild(renderBlocks(view.blocks || [], ctx, surface));
}

export function renderModal(overlay, view, depth, ctx, surface, handlers) {
  overlay.replaceChildren();
  overlay.hidden = false;
  const modal = el("div", "modal");
  modal.setAttribute("role", "dialog");
  modal.setAttribute("aria-modal", "true");
  modal.dataset.viewId = view.id;
  const head = el("div", "modal-head");
  if (depth > 1) {
    const back = el("button", "icon-btn", "‹");
    back.type = "button";
    back.setAttribute("aria-label", "Back");
    back.addEventListener("click", handlers.close);
    head.appendChild(back);
  }
  const title = el("h2", "modal-title");
  title.appendChild(renderPlain(plainOf(view.title) || "Flagpost"));
  modal.setAttribute("aria-label", title.textContent);
  head.appendChild(title);
  const x = el("button", "icon-btn close-x", "×");
  x.type = "button";
  x.setAttribute("aria-label", "Close");
  x.addEventListener("click", handlers.close);
  head.appendChild(x);
  modal.appendChild(head);
  const body = el("form", "modal-body");
  body.noValidate = true; // Slack's client checks required fields itself; so does the sandbox
  body.appendChild(renderBlocks(view.blocks || [], ctx, surface));
  const general = (view.errors || {})[""];
  if (general) body.appendChild(el("div", "field-error", general));
  modal.appendChild(body);
  const foot = el("div", "modal-foot");
  const close = el("button", "btn", plainOf(view.close) || (view.submit ? "Cancel" : "Close"));
  close.type = "button";
  close.addEventListener("click", handlers.close);
  foot.appendChild(close);
  if (view.submit) {
    const submit = el("button", "btn primary", plainOf(view.submit));
    submit.type = "submit";
    submit.dataset.submit = "true";
    foot.appendChild(submit);
    body.addEventListener("submit", (event) => { event.preventDefault(); handlers.submit(); });
    submit.addEventListener("click", (event) => { event.preventDefault(); handlers.submit(); });
  }
  modal.appendChild(foot);
  overlay.appendChild(modal);
}

export function hideModal(overlay) {
  overlay.hidden = true;
  overlay.replaceChildren();
}

// A button's confirm object: {title, text, confirm, deny, style}
export function confirmDialog(confirm, ctx) {
  return new Promise((resolve) => {
    const layer = el("div", "confirm-layer");
    const box = el("div", "modal confirm");
    box.setAttribute("role", "alertdialog");
    const title = el("h2", "modal-title");
    title.appendChild(renderPlain(plainOf(confirm.title) || "Are you sure?"));
    box.appendChild(title);
    box.appendChild(confirm.text && confirm.text.type === "mrkdwn" ? renderMrkdwn(confirm.text.text, ctx) : renderPlain(plainOf(confirm.text)));
    const foot = el("div", "modal-foot");
    const deny = el("button", "btn", plainOf(confirm.deny) || "Cancel");
    const yes = el("button", `btn ${confirm.style === "danger" ? "danger" : "primary"}`, plainOf(confirm.confirm) || "Yes");
    deny.type = yes.type = "button";
    const done = (answer) => { layer.remove(); resolve(answer); };
    deny.addEventListener("click", () => done(false));
    yes.addEventListener("click", () => done(true));
    foot.append(deny, yes);
    box.appendChild(foot);
    layer.appendChild(box);
    document.body.appendChild(layer);
    yes.focus();
  });
}

// ----- the tour and the clock

export function renderTour(list, steps, ctx, go) {
  list.replaceChildren();
  for (const step of steps) {
    const item = el("li", `step${step.done ? " done" : ""}${step.available ? "" : " coming"}`);
    item.dataset.step = step.key;
    const mark = el("span", "step-mark", step.done ? "✓" : "");
    mark.setAttribute("aria-label", step.done ? "done" : "to do");
    const head = el("div", "step-head");
    head.append(mark, el("span", "step-label", step.label));
    item.appendChild(head);
    if (!step.available) {
      item.appendChild(el("div", "step-coming", `Coming with ${step.coming_with}`));
    } else {
      const who = el("div", "step-who");
      if (step.who.id) {
        const be = el("button", "btn small", `Be ${step.who.name}`);
        be.type = "button";
        be.title = `Switch to ${step.who.name} (${step.who.role}) and open the place for this step`;
        be.addEventListener("click", () => go(step));
        who.append(el("span", null, `as ${step.who.role === "oncall" ? "the on-call contact" : step.who.role}`), be);
      }
      item.appendChild(who);
      item.appendChild(renderMrkdwn(step.do, ctx));
    }
    list.appendChild(item);
  }
}

export function clockText(clock, ctx) {
  const epoch = ctx.now();
  return `${formatDate(epoch, "{date_long}", ctx)}, ${formatDate(epoch, "{time}", ctx)}`;
}

export function clockNote(clock) {
  const hours = Math.floor(clock.offset_minutes / 60);
  const minutes = clock.offset_minutes % 60;
  const ahead = clock.offset_minutes ? `${hours ? `${hours} h ` : ""}${minutes} min ahead of real time` : "real time";
  const when = clock.business_hours ? "business hours" : "after hours";
  return `${when} · ${ahead}`;
}
