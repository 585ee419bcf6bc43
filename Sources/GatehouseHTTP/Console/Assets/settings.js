// An environment's settings as a form: what kind of value each one takes, reading the
// form back into the changes to PATCH, and mapping the admin API's refusals to fields.
// Pure: tested under node.

/** Every setting (contract sections 4 and 7), in the order the form shows them. */
export const SETTINGS = [
  { name: "access_token_lifetime", kind: "seconds", help: "Seconds; at most a day." },
  { name: "refresh_token_lifetime", kind: "seconds", help: "Seconds; at most a year." },
  { name: "rotate_refresh_tokens", kind: "bool" },
  { name: "blacklist_after_rotation", kind: "bool" },
  { name: "update_last_login", kind: "bool" },
  { name: "algorithm", kind: "choice", choices: ["ES256", "EdDSA", "RS256", "HS256"], help: "Of new keys." },
  { name: "leeway", kind: "seconds", help: "Seconds; at most 300." },
  { name: "audience", kind: "text", nullable: true, help: "Empty: no audience." },
  { name: "auth_header_types", kind: "list", help: "One per line." },
  { name: "throttle_anon", kind: "text", nullable: true, help: "A rate such as 20/min; empty switches it off (global keys only)." },
  { name: "throttle_user", kind: "text", nullable: true, help: "A rate such as 1000/hour; empty switches it off (global keys only)." },
  { name: "throttle_login_user", kind: "text", nullable: true, help: "Failed logins per username; empty switches it off (global keys only)." },
  { name: "reuse_grace", kind: "seconds", help: "Seconds; at most 300." },
  { name: "key_rotation_period", kind: "seconds", nullable: true, help: "Seconds; empty: rotate by hand only." },
  { name: "key_publish_ahead", kind: "seconds", help: "Seconds a scheduled key is published before it signs." },
  { name: "refresh_cookie", kind: "bool" },
  { name: "cors_allowed_origins", kind: "list", help: "Exact origins, one per line." },
  { name: "sliding_tokens", kind: "bool" },
  { name: "sliding_token_lifetime", kind: "seconds" },
  { name: "sliding_token_refresh_lifetime", kind: "seconds" },
];

/** A setting's value as the form shows it: text for inputs, a boolean for checkboxes. */
export function display(setting, value) {
  if (setting.kind === "bool") return Boolean(value);
  if (value === null || value === undefined) return "";
  if (setting.kind === "list") return value.join("\n");
  return String(value);
}

/**
 * The value to send for what the operator entered. Numbers that do not parse are sent as
 * typed, so the admin API's own check (and its message) decides, as for every other field.
 */
export function parse(setting, entered) {
  if (setting.kind === "bool") return Boolean(entered);
  const text = String(entered).trim();
  if (setting.kind === "list") return text.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  if (text === "" && setting.nullable) return null;
  if (setting.kind === "seconds") return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  return text;
}

/** The settings whose entered value differs from `current`: the body of the PATCH. */
export function changes(current, entered) {
  const changed = {};
  for (const setting of SETTINGS) {
    if (!(setting.name in entered)) continue;
    const value = parse(setting, entered[setting.name]);
    if (JSON.stringify(value) !== JSON.stringify(current[setting.name] ?? null)) changed[setting.name] = value;
  }
  return changed;
}

/**
 * The refusal of a PATCH as `{setting name: [reasons]}`: from `fields` (`settings.<name>`),
 * or, when there are none, the setting named in `detail`; anything else under `""`.
 */
export function fieldErrors(error) {
  const errors = {};
  for (const [key, reasons] of Object.entries(error.fields ?? {})) {
    const name = key.startsWith("settings.") ? key.slice("settings.".length) : key;
    errors[SETTINGS.some((setting) => setting.name === name) ? name : ""] = reasons;
  }
  if (Object.keys(errors).length === 0) {
    const named = SETTINGS.map((setting) => setting.name)
      .sort((a, b) => b.length - a.length)
      .find((name) => (error.detail ?? "").includes(name));
    errors[named ?? ""] = [error.detail ?? "refused"];
  }
  return errors;
}
