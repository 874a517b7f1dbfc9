// Slack's mrkdwn and plain_text, turned into DOM nodes. Every piece of text becomes a text node
// (textContent), never HTML: "&lt;b&gt;" shows as the literal "<b>", and nothing a user typed can run.

const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", rotating_light: "🚨",
  red_circle: "🔴", large_orange_circle: "🟠", large_yellow_circle: "🟡", large_green_circle: "🟢",
  large_blue_circle: "🔵", large_purple_circle: "🟣", white_circle: "⚪", black_circle: "⚫",
  eyes: "👀", thinking_face: "🤔", tada: "🎉", memory: "🧠", memo: "📝", arrow_double_up: "⏫",
  bell: "🔔", no_bell: "🔕", pager: "📟", telephone_receiver: "📞", sos: "🆘", alarm_clock: "⏰",
  hourglass: "⌛", hourglass_flowing_sand: "⏳", calendar: "📅", date: "📅", clock: "🕒", lock: "🔒",
  unlock: "🔓", key: "🔑", shield: "🛡️", link: "🔗", mag: "🔍", page_facing_up: "📄", pushpin: "📌",
  inbox_tray: "📥", outbox_tray: "📤", loudspeaker: "📢", mega: "📣", camera: "📷", speech_balloon: "💬",
  raising_hand: "🙋", wave: "👋", "+1": "👍", thumbsup: "👍", "-1": "👎", thumbsdown: "👎", star: "⭐",
  question: "❓", exclamation: "❗", information_source: "ℹ️", no_entry: "⛔", construction: "🚧",
  ballot_box_with_check: "☑️", crescent_moon: "🌙", sunny: "☀️", busts_in_silhouette: "👥",
  bust_in_silhouette: "👤", arrow_right: "➡️", arrow_up: "⬆️", arrow_down: "⬇️", hammer_and_wrench: "🛠️",
  scroll: "📜", books: "📚", file_folder: "📁", clipboard: "📋", office: "🏢", classical_building: "🏛️",
};

const ENTITY = /&(amp|lt|gt);/g;
const ENTITIES = { amp: "&", lt: "<", gt: ">" };

export function unescapeSlack(text) {
  return text.replace(ENTITY, (_m, name) => ENTITIES[name]); // one pass: "&amp;lt;" stays "&lt;"
}

export function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
}

// ----- dates: <!date^1392734382^{date_short_pretty} at {time}|fallback>

function parts(epoch, tz, options) {
  return new Intl.DateTimeFormat("en-US", { timeZone: tz, ...options }).format(new Date(epoch * 1000));
}

function dayKey(epoch, tz) {
  return parts(epoch, tz, { year: "numeric", month: "2-digit", day: "2-digit" });
}

function ordinal(day) {
  const n = Number(day);
  const suffix = n % 10 === 1 && n !== 11 ? "st" : n % 10 === 2 && n !== 12 ? "nd" : n % 10 === 3 && n !== 13 ? "rd" : "th";
  return `${n}${suffix}`;
}

function ago(epoch, now) {
  const seconds = Math.round(now - epoch);
  const future = seconds < 0;
  const abs = Math.abs(seconds);
  const [value, unit] = abs < 60 ? [abs, "second"] : abs < 3600 ? [Math.round(abs / 60), "minute"]
    : abs < 86400 ? [Math.round(abs / 3600), "hour"] : [Math.round(abs / 86400), "day"];
  if (abs < 45) return future ? "in a few seconds" : "just now";
  const words = `${value} ${unit}${value === 1 ? "" : "s"}`;
  return future ? `in ${words}` : `${words} ago`;
}

export function formatDate(epoch, format, ctx) {
  const tz = ctx.timezone;
  const month = parts(epoch, tz, { month: "long" });
  const monthShort = parts(epoch, tz, { month: "short" });
  const day = parts(epoch, tz, { day: "numeric" });
  const year = parts(epoch, tz, { year: "numeric" });
  const weekday = parts(epoch, tz, { weekday: "long" });
  const date = `${month} ${ordinal(day)}, ${year}`;
  const dateShort = `${monthShort} ${day}, ${year}`;
  const dateLong = `${weekday}, ${date}`;
  const now = ctx.now();
  const pretty = (fallback) => {
    const key = dayKey(epoch, tz);
    if (key === dayKey(now, tz)) return "today";
    if (key === dayKey(now - 86400, tz)) return "yesterday";
    if (key === dayKey(now + 86400, tz)) return "tomorrow";
    return fallback;
  };
  const tokens = {
    date_num: `${year}-${parts(epoch, tz, { month: "2-digit" })}-${parts(epoch, tz, { day: "2-digit" })}`,
    date, date_short: dateShort, date_long: dateLong,
    date_pretty: pretty(date), date_short_pretty: pretty(dateShort), date_long_pretty: pretty(dateLong),
    time: parts(epoch, tz, { hour: "numeric", minute: "2-digit" }),
    time_secs: parts(epoch, tz, { hour: "numeric", minute: "2-digit", second: "2-digit" }),
    ago: ago(epoch, now),
  };
  return format.replace(/\{(\w+)\}/g, (m, name) => (name in tokens ? tokens[name] : m));
}

// ----- inline markup

const INLINE = [
  { kind: "control", re: /<([^<>\n]+)>/ },
  { kind: "code", re: /`([^`\n]+)`/ },
  { kind: "b", re: /(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/ },
  { kind: "i", re: /(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/ },
  { kind: "s", re: /(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/ },
  { kind: "url", re: /https?:\/\/[^\s<>|]+[^\s<>|.,;:!?)'"]/ },
];

function textNode(parent, text) {
  const shown = emojify(unescapeSlack(text));
  shown.split("\n").forEach((line, index) => {
    if (index) parent.appendChild(document.createElement("br"));
    if (line) parent.appendChild(document.createTextNode(line));
  });
}

function safeHref(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

function link(parent, url, label) {
  const href = safeHref(unescapeSlack(url));
  if (!href) {
    textNode(parent, label || url);
    return;
  }
  const a = document.createElement("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  textNode(a, label || url);
  parent.appendChild(a);
}

function control(parent, inside, ctx) {
  const [target, label] = splitOnce(inside, "|");
  const span = document.createElement("span");
  if (target.startsWith("@")) {
    span.className = "mention";
    span.textContent = "@" + ctx.nameOf(target.slice(1)) ;
  } else if (target.startsWith("#")) {
    span.className = "mention";
    span.textContent = "#" + (label ? unescapeSlack(label) : ctx.channelName(target.slice(1)));
  } else if (target.startsWith("!date^")) {
    const [, epoch, format] = target.split("^");
    span.className = "date";
    span.textContent = Number.isFinite(Number(epoch)) ? formatDate(Number(epoch), format || "{date}", ctx) : unescapeSlack(label || "");
    span.title = unescapeSlack(label || "");
  } else if (target.startsWith("!")) {
    span.className = "mention";
    span.textContent = "@" + target.slice(1).split("^")[0];
  } else {
    link(parent, target, label);
    return;
  }
  parent.appendChild(span);
}

function splitOnce(text, sep) {
  const at = text.indexOf(sep);
  return at < 0 ? [text, null] : [text.slice(0, at), text.slice(at + 1)];
}

export function inline(parent, text, ctx, depth = 0) {
  let rest = text;
  while (rest) {
    let best = null;
    for (const rule of INLINE) {
      const match = rule.re.exec(rest);
      if (match && (!best || match.index < best.match.index)) best = { rule, match };
    }
    if (!best || depth > 6) {
      textNode(parent, rest);
      return;
    }
    const { rule, match } = best;
    const lead = ["b", "i", "s"].includes(rule.kind) ? match[1] : "";
    textNode(parent, rest.slice(0, match.index) + lead);
    if (rule.kind === "control") control(parent, match[1], ctx);
    else if (rule.kind === "code") {
      const code = document.createElement("code");
      code.textContent = unescapeSlack(match[1]);
      parent.appendChild(code);
    } else if (rule.kind === "url") link(parent, match[0], null);
    else {
      const tag = document.createElement(rule.kind === "b" ? "strong" : rule.kind === "i" ? "em" : "s");
      inline(tag, match[2], ctx, depth + 1);
      parent.appendChild(tag);
    }
    rest = rest.slice(match.index + match[0].length);
  }
}

// ----- blocks of text: code fences and quotes

function isQuote(line) {
  return line.startsWith(">") || line.startsWith("&gt;");
}

function lines(parent, text, ctx) {
  const all = text.split("\n");
  let plain = [];
  const flush = () => {
    if (plain.length) inline(parent, plain.join("\n"), ctx);
    plain = [];
  };
  for (let i = 0; i < all.length; i++) {
    if (!isQuote(all[i])) {
      plain.push(all[i]);
      continue;
    }
    if (plain.length) plain.push(""); // the line break before the quote
    flush();
    const quote = document.createElement("blockquote");
    const quoted = [];
    while (i < all.length && isQuote(all[i])) {
      quoted.push(all[i].replace(/^(>|&gt;) ?/, ""));
      i++;
    }
    i--;
    inline(quote, quoted.join("\n"), ctx);
    parent.appendChild(quote);
  }
  flush();
}

export function renderMrkdwn(text, ctx) {
  const box = document.createElement("div");
  box.className = "mrkdwn";
  const pieces = String(text || "").split("```");
  pieces.forEach((piece, index) => {
    if (index % 2 === 1 && index < pieces.length - 1) {
      const pre = document.createElement("pre");
      pre.textContent = unescapeSlack(piece.replace(/^\n/, ""));
      box.appendChild(pre);
    } else {
      lines(box, index % 2 === 1 ? "```" + piece : piece, ctx);
    }
  });
  return box;
}

export function renderPlain(text, emoji = true) {
  const span = document.createElement("span");
  span.className = "plain";
  span.textContent = emoji ? emojify(String(text || "")) : String(text || "");
  return span;
}

// A text object of Block Kit: {type: "mrkdwn" | "plain_text", text, emoji?}
export function renderText(object, ctx) {
  if (!object) return document.createTextNode("");
  if (typeof object === "string") return renderPlain(object);
  return object.type === "mrkdwn" ? renderMrkdwn(object.text, ctx) : renderPlain(object.text, object.emoji !== false);
}

export function plainOf(object) {
  if (!object) return "";
  return typeof object === "string" ? object : emojify(object.type === "mrkdwn" ? unescapeSlack(object.text || "") : object.text || "");
}
