// Block Kit, rendered as Slack shows it: blocks of messages, modals and App Home, and their interactive
// elements. A block or element this file does not know is shown as such, never dropped silently.
import { renderMrkdwn, renderPlain, renderText, plainOf } from "./mrkdwn.js";

let uid = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function unsupported(what) {
  return el("div", "unsupported", `(${what} — not shown by the sandbox yet)`);
}

// ----- elements

function optionsOf(element) {
  const groups = element.option_groups
    ? element.option_groups.map((g) => ({ label: plainOf(g.label), options: g.options || [] }))
    : [{ label: null, options: element.options || [] }];
  return groups;
}

function selectFrom(groups, { placeholder, multiple, chosen }) {
  const select = el("select");
  select.multiple = Boolean(multiple);
  if (!multiple) {
    const none = el("option", null, placeholder || "Select an item");
    none.value = "";
    select.appendChild(none);
  }
  for (const group of groups) {
    const parent = group.label ? el("optgroup") : select;
    if (group.label) {
      parent.label = group.label;
      select.appendChild(parent);
    }
    for (const option of group.options) {
      const node = el("option", null, plainOf(option.text));
      node.value = option.value;
      node.selected = chosen.includes(option.value);
      parent.appendChild(node);
    }
  }
  return select;
}

function peopleGroups(ctx) {
  return [{ label: null, options: ctx.people.map((p) => ({ value: p.id, text: { type: "plain_text", text: p.name } })) }];
}

function channelGroups(ctx) {
  return [{ label: null, options: ctx.channels.map((c) => ({ value: c.id, text: { type: "plain_text", text: "#" + c.name } })) }];
}

const SELECTS = {
  static_select: (e) => ({ groups: optionsOf(e), initial: e.initial_option && e.initial_option.value }),
  external_select: (e) => ({ groups: optionsOf(e), initial: e.initial_option && e.initial_option.value }),
  multi_static_select: (e) => ({ groups: optionsOf(e), initial: (e.initial_options || []).map((o) => o.value), multiple: true }),
  users_select: (e, ctx) => ({ groups: peopleGroups(ctx), initial: e.initial_user }),
  multi_users_select: (e, ctx) => ({ groups: peopleGroups(ctx), initial: e.initial_users || [], multiple: true }),
  conversations_select: (e, ctx) => ({ groups: channelGroups(ctx), initial: e.initial_conversation }),
  channels_select: (e, ctx) => ({ groups: channelGroups(ctx), initial: e.initial_channel }),
  multi_conversations_select: (e, ctx) => ({ groups: channelGroups(ctx), initial: e.initial_conversations || [], multiple: true }),
  multi_channels_select: (e, ctx) => ({ groups: channelGroups(ctx), initial: e.initial_channels || [], multiple: true }),
};

function selectElement(element, ctx, saved) {
  const spec = SELECTS[element.type](element, ctx);
  const initial = saved !== undefined ? saved : spec.initial;
  const chosen = Array.isArray(initial) ? initial : initial ? [initial] : [];
  const select = selectFrom(spec.groups, { placeholder: plainOf(element.placeholder), multiple: spec.multiple, chosen });
  const get = () => (spec.multiple ? [...select.selectedOptions].map((o) => o.value) : select.value || null);
  return { node: select, get, input: select };
}

function textInput(element, saved) {
  const types = { url_text_input: "url", email_text_input: "email", number_input: "number" };
  const node = element.multiline ? el("textarea") : el("input");
  if (!element.multiline) node.type = types[element.type] || "text";
  if (element.max_length) node.maxLength = element.max_length;
  if (element.min_length) node.minLength = element.min_length;
  if (element.type === "number_input") {
    node.step = element.is_decimal_allowed ? "any" : "1";
    if (element.min_value !== undefined) node.min = element.min_value;
    if (element.max_value !== undefined) node.max = element.max_value;
  }
  node.placeholder = plainOf(element.placeholder);
  node.value = saved !== undefined ? saved || "" : element.initial_value || "";
  return { node, get: () => node.value, input: node };
}

function choiceList(element, saved, multiple) {
  const box = el("div", multiple ? "checkboxes" : "radios");
  const name = `choice-${++uid}`;
  const initial = multiple
    ? saved !== undefined ? saved : (element.initial_options || []).map((o) => o.value)
    : saved !== undefined ? saved : element.initial_option && element.initial_option.value;
  const inputs = [];
  for (const option of element.options || []) {
    const label = el("label", "choice");
    const input = el("input");
    input.type = multiple ? "checkbox" : "radio";
    input.name = name;
    input.value = option.value;
    input.checked = multiple ? (initial || []).includes(option.value) : initial === option.value;
    inputs.push(input);
    const words = el("span", "choice-text");
    words.appendChild(renderText(option.text, {}));
    if (option.description) words.appendChild(el("small", "choice-description", plainOf(option.description)));
    label.append(input, words);
    box.appendChild(label);
  }
  const get = () => (multiple ? inputs.filter((i) => i.checked).map((i) => i.value) : (inputs.find((i) => i.checked) || {}).value || null);
  return { node: box, get, input: box };
}

function pickerElement(element, saved) {
  const node = el("input");
  node.type = element.type === "timepicker" ? "time" : "date";
  node.value = saved !== undefined ? saved || "" : (element.type === "timepicker" ? element.initial_time : element.initial_date) || "";
  return { node, get: () => node.value || null, input: node };
}

function overflowElement(element) {
  const select = selectFrom(optionsOf(element), { placeholder: "⋯", chosen: [] });
  select.className = "overflow";
  select.setAttribute("aria-label", "More actions");
  return { node: select, get: () => select.value || null, input: select };
}

function button(element, surface) {
  const node = el("button", `btn ${element.style || ""}`.trim());
  node.type = "button";
  node.appendChild(renderPlain(plainOf(element.text)));
  node.addEventListener("click", () => {
    if (element.url) window.open(element.url, "_blank", "noopener");
    surface.act(element, null);
  });
  return { node, get: () => null, input: null };
}

// An interactive element. In an input block its value is collected on submit; elsewhere a change acts.
function interactive(element, blockId, ctx, surface, inInput) {
  const saved = surface.saved ? (surface.saved[blockId] || {})[element.action_id] : undefined;
  let made;
  if (element.type === "button") made = button(element, { act: (e) => surface.onAction(blockId, e, null) });
  else if (element.type in SELECTS) made = selectElement(element, ctx, saved);
  else if (["plain_text_input", "url_text_input", "email_text_input", "number_input"].includes(element.type)) made = textInput(element, saved);
  else if (element.type === "checkboxes") made = choiceList(element, saved, true);
  else if (element.type === "radio_buttons") made = choiceList(element, saved, false);
  else if (element.type === "datepicker" || element.type === "timepicker") made = pickerElement(element, saved);
  else if (element.type === "overflow") made = overflowElement(element);
  else if (element.type === "image") return { node: imageBox(element) };
  else return { node: unsupported(`element ${element.type}`) };
  made.node.dataset.actionId = element.action_id || "";
  if (made.input && element.type !== "button") {
    surface.register(blockId, element.action_id, made.get);
    if (!inInput || element.dispatch_action) {
      made.input.addEventListener("change", () => surface.onAction(blockId, element, made.get()));
    }
  }
  return made;
}

function imageBox(element) {
  const box = el("div", "image", `🖼 ${element.alt_text || "image"}`);
  box.title = element.image_url || "";
  return box;
}

// ----- blocks

function section(block, ctx, surface) {
  const node = el("div", "section");
  const body = el("div", "section-body");
  if (block.text) body.appendChild(renderText(block.text, ctx));
  if (block.fields) {
    const fields = el("div", "fields");
    for (const field of block.fields) fields.appendChild(renderText(field, ctx));
    body.appendChild(fields);
  }
  node.appendChild(body);
  if (block.accessory) {
    const accessory = el("div", "accessory");
    accessory.appendChild(interactive(block.accessory, block.block_id, ctx, surface, false).node);
    node.appendChild(accessory);
  }
  return node;
}

function context(block, ctx) {
  const node = el("div", "context");
  for (const element of block.elements || []) {
    node.appendChild(element.type === "image" ? imageBox(element) : renderText(element, ctx));
  }
  return node;
}

function actions(block, ctx, surface) {
  const node = el("div", "actions");
  for (const element of block.elements || []) node.appendChild(interactive(element, block.block_id, ctx, surface, false).node);
  return node;
}

function input(block, ctx, surface) {
  const node = el("div", "input-block");
  const label = el("label", "input-label");
  label.appendChild(renderPlain(plainOf(block.label)));
  if (block.optional) label.appendChild(el("span", "optional", " (optional)"));
  node.appendChild(label);
  const made = interactive(block.element || {}, block.block_id, ctx, surface, true);
  if (made.input && made.input.id === "") {
    made.input.id = `input-${++uid}`;
    label.htmlFor = made.input.id;
  }
  node.appendChild(made.node);
  if (block.hint) node.appendChild(el("div", "hint", plainOf(block.hint)));
  const error = (surface.errors || {})[block.block_id];
  if (error) {
    node.classList.add("has-error");
    node.appendChild(el("div", "field-error", error));
  }
  return node;
}

function richText(block) {
  const words = [];
  const walk = (items) => (items || []).forEach((item) => {
    if (item.text) words.push(item.text);
    if (item.type === "user") words.push(`@${item.user_id}`);
    if (item.elements) walk(item.elements);
  });
  walk(block.elements);
  return el("div", "rich-text", words.join(""));
}

const BLOCKS = {
  header: (b) => { const h = el("div", "header"); h.appendChild(renderPlain(plainOf(b.text))); return h; },
  section,
  context,
  divider: () => el("hr", "divider"),
  actions,
  input,
  image: (b) => imageBox(b),
  rich_text: (b) => richText(b),
};

// surface: {onAction(blockId, element, value), register(blockId, actionId, get), errors, saved}
export function renderBlocks(blocks, ctx, surface) {
  const box = el("div", "blocks");
  for (const block of blocks || []) {
    const make = BLOCKS[block.type];
    const node = make ? make(block, ctx, surface) : unsupported(`block ${block.type}`);
    node.dataset.blockId = block.block_id || "";
    node.classList.add("block");
    box.appendChild(node);
  }
  return box;
}

export { renderMrkdwn };
