// rft view: the pages, built from the JSON API with DOM text nodes only.
// Model outputs are hostile input: nothing here parses data as HTML (no innerHTML, no insertAdjacentHTML, no eval),
// and every link is built from this app's own path templates with encoded parts, never taken from the data.
"use strict";

const LABELLER_KEY = "rft-view-labeller";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const enc = encodeURIComponent;
const runPath = (run) => `/runs/${enc(run)}`;
const samplePath = (run, item, index) =>
  `${runPath(run)}/samples/${String(item).split("/").map(enc).join("/")}/${Number(index)}`;
const apiRun = (run) => `/api/runs/${enc(run)}`;

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    body = { error: `HTTP ${response.status}` };
  }
  if (!response.ok) throw new Error(body && body.error ? body.error : `HTTP ${response.status}`);
  return body;
}

function fmt(value, digits = 3) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(digits);
  return String(value);
}
const pct = (value) => (value === null || value === undefined ? "–" : `${(100 * value).toFixed(1)}%`);
const signed = (value) => (value === null || value === undefined ? "–" : `${value >= 0 ? "+" : ""}${value.toFixed(3)}`);
const pretty = (value) => JSON.stringify(value, null, 2);

function interval(delta) {
  if (!delta) return "–";
  return `${signed(delta.mean)} [${signed(delta.low)}, ${signed(delta.high)}]`;
}

function main() {
  return document.getElementById("main");
}

function setCrumbs(...parts) {
  const crumbs = document.getElementById("crumbs");
  crumbs.replaceChildren(...parts.flatMap((part) => [el("span", { class: "sep" }, "›"), part]));
}

function showError(err) {
  main().replaceChildren(el("p", { class: "error", role: "alert" }, String(err.message || err)));
}

function labeller() {
  return (document.getElementById("labeller").value || "").trim();
}

function card(label, value, extra) {
  return el("div", { class: "card" }, el("div", { class: "card-label" }, label), el("div", { class: "card-value" }, value), extra || null);
}

function statusBadge(row) {
  if (row.status === "error") return el("span", { class: "badge err" }, `error: ${row.error_kind || "?"}`);
  if (row.status === "ungraded") return el("span", { class: row.sample_error ? "badge err" : "badge" }, row.sample_error ? "sampling error" : "ungraded");
  return el("span", { class: row.passed ? "badge pass" : "badge fail" }, row.passed ? "pass" : "fail");
}

function labelBadge(label) {
  if (!label) return "";
  const verdict = typeof label.verdict === "number" ? fmt(label.verdict, 2) : label.verdict;
  const cls = label.verdict === "pass" ? "badge pass" : label.verdict === "fail" ? "badge fail" : "badge score";
  return el("span", { class: cls, title: `${label.labeller} at ${label.time}` }, `${verdict} (${label.labeller})`);
}

// ---------------------------------------------------------------------------------------------------------- runs
async function pageRuns() {
  setCrumbs(el("span", {}, "runs"));
  const data = await api("/api/runs");
  const rows = data.runs.map((run) => {
    const s = run.summary || {};
    const c = run.counts || {};
    const cmp = run.comparison;
    const ks = Object.keys(run.pass_at_k || {});
    const kmax = ks.length ? ks[ks.length - 1] : null;
    return el(
      "tr",
      { "data-run": run.name },
      el("td", {}, el("a", { href: runPath(run.name) }, run.name)),
      el("td", { class: "lineage" }, run.lineage.join(" → ")),
      el("td", {}, run.model || "–", run.simulated ? el("span", { class: "badge sim" }, "SIMULATED") : ""),
      el("td", {}, run.grader || "–"),
      el("td", { class: "num" }, fmt(c.samples)),
      el("td", { class: "num" }, fmt(s.mean_reward)),
      el("td", { class: "num" }, pct(s.pass_rate)),
      el("td", { class: "num" }, pct(s.error_rate)),
      el("td", { class: "num" }, kmax ? `${fmt(run.pass_at_k[kmax])} (k=${kmax})` : "–"),
      el("td", {}, cmp ? el("a", { href: runPath(cmp.baseline || run.baseline || "") }, cmp.baseline || run.baseline) : run.baseline_path || "–"),
      el("td", { class: "num" }, cmp ? interval(cmp.mean_reward_delta) : "–"),
      el("td", { class: "num" }, cmp ? `↑${cmp.fail_to_pass} ↓${cmp.pass_to_fail}` : "–"),
      el("td", {}, run.report_error ? el("span", { class: "error" }, run.report_error) : run.report_source),
      el("td", { class: "muted" }, run.updated_at || ""),
    );
  });
  const head = ["run", "lineage", "model", "grader", "samples", "mean reward", "pass rate", "error rate", "pass@k", "baseline", "Δ mean reward [95% CI]", "flipped", "report", "updated"];
  main().replaceChildren(
    el("h1", {}, "Runs"),
    el("p", { class: "muted" }, `in ${data.runs_dir}`),
    rows.length
      ? el("table", { class: "grid", id: "runs" }, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), el("tbody", {}, rows))
      : el("p", {}, "No run folders here yet: run `rft demo` or `rft run`."),
  );
}

// ----------------------------------------------------------------------------------------------------------- run
const FILTERS = ["status", "error_kind", "flipped", "template", "difficulty", "sub", "sub_min", "sub_max", "labelled", "q", "sort", "per_page"];

function select(name, options, current) {
  return el(
    "select",
    { name, id: `f-${name}` },
    options.map(([value, text]) => el("option", { value, selected: value === current }, text)),
  );
}

function reportSections(run, report) {
  const summary = report.summary || {};
  const counts = report.counts || {};
  const ks = Object.keys(report.pass_at_k || {});
  const sections = [
    el("p", { class: "muted" }, `report: ${report.source}`, report.error ? el("span", { class: "error" }, ` (${report.error})`) : ""),
    el(
      "div",
      { class: "cards" },
      card("samples", fmt(counts.samples)),
      card("graded", fmt(counts.graded)),
      card("mean reward", fmt(summary.mean_reward)),
      card("pass rate", pct(summary.pass_rate)),
      card("error rate", pct(summary.error_rate)),
      ks.map((k) => card(`pass@${k}`, fmt(report.pass_at_k[k]))),
    ),
  ];
  const cmp = report.comparison;
  if (cmp) {
    const flipped = cmp.flipped || {};
    sections.push(
      el(
        "section",
        { class: "comparison" },
        el("h2", {}, `Against the baseline ${cmp.baseline.name}`),
        el(
          "table",
          { class: "grid compact" },
          el("tbody", {},
            el("tr", {}, el("th", {}, "mean reward Δ [95% CI]"), el("td", {}, interval(cmp.mean_reward_delta))),
            el("tr", {}, el("th", {}, "pass rate Δ [95% CI]"), el("td", {}, interval(cmp.pass_rate_delta))),
            Object.entries(cmp.sub_graders || {}).map(([name, sub]) => el("tr", {}, el("th", {}, `sub-grader ${name} Δ`), el("td", {}, interval(sub.delta)))),
            el("tr", {}, el("th", {}, "items flipped"),
              el("td", {},
                el("a", { href: `${runPath(run)}?flipped=fail_to_pass` }, `${flipped.fail_to_pass_count} fail → pass`), " · ",
                el("a", { href: `${runPath(run)}?flipped=pass_to_fail` }, `${flipped.pass_to_fail_count} pass → fail`))),
          ),
        ),
      ),
    );
  }
  if (report.plots.length) {
    // the overall reward, pass@k and the deltas first; one histogram per sub-grader behind a fold
    const subPlot = (p, n) => p.name.startsWith("reward-") && n > 0;
    const img = (p) => el("img", { src: p.url, alt: p.title, title: p.title });
    const subs = report.plots.filter(subPlot);
    sections.push(
      el("section", { class: "plots" }, el("h2", {}, "Distributions"),
        report.plots.filter((p, n) => !subPlot(p, n)).map(img),
        subs.length ? el("details", {}, el("summary", {}, `reward histograms per sub-grader (${subs.length})`), subs.map(img)) : null),
    );
  }
  return sections;
}

async function pageRun(run) {
  setCrumbs(el("a", { href: runPath(run) }, run));
  // the report can take a while for a run still being written: the table does not wait for it
  const reportBox = el("div", { id: "report-box" }, el("p", { class: "muted" }, "report: loading…"));
  const reportDone = api(`${apiRun(run)}/report`)
    .then((report) => reportBox.replaceChildren(...reportSections(run, report)))
    .catch((err) => reportBox.replaceChildren(el("p", { class: "error" }, `report: ${err.message}`)));
  const info = await api(apiRun(run));
  const params = new URLSearchParams(location.search);
  const facets = info.facets;
  const header = el(
    "section",
    { class: "run-head" },
    el("h1", {}, run),
    el(
      "p",
      { class: "muted" },
      `model ${(info.meta.model || {}).name || "–"} · grader ${info.grader.name || "–"} · pass threshold ${info.pass_threshold} · `,
      `${info.indexed.samples} samples indexed`,
    ),
    info.baseline
      ? el("p", {}, "baseline: ", info.baseline.name ? el("a", { href: runPath(info.baseline.name), id: "baseline-link" }, info.baseline.name) : info.baseline.path)
      : null,
  );
  const sections = [header, reportBox];

  const statusOptions = [["any", `any (${facets.status.all})`], ["failed", `failed (${facets.status.failed})`], ["passed", `passed (${facets.status.passed})`], ["errored", `errored (${facets.status.errored})`], ["scored", "scored"], ["ungraded", `ungraded (${facets.status.ungraded})`]];
  const facetOptions = (name, all) => [["", all], ...Object.entries(facets[name]).map(([value, n]) => [value, `${value} (${n})`])];
  const form = el(
    "form",
    { class: "filters", id: "filters" },
    el("label", {}, "status ", select("status", statusOptions, params.get("status") || "any")),
    el("label", {}, "error kind ", select("error_kind", facetOptions("error_kind", "any"), params.get("error_kind") || "")),
    info.baseline ? el("label", {}, "flipped ", select("flipped", [["", "–"], ["any", "either way"], ["fail_to_pass", "fail → pass"], ["pass_to_fail", "pass → fail"]], params.get("flipped") || "")) : null,
    el("label", {}, "template ", select("template", facetOptions("template", "any"), params.get("template") || "")),
    el("label", {}, "difficulty ", select("difficulty", facetOptions("difficulty", "any"), params.get("difficulty") || "")),
    facets.sub_graders.length
      ? el("label", {}, "sub-grader ", select("sub", [["", "–"], ...facets.sub_graders.map((n) => [n, n])], params.get("sub") || ""),
          el("input", { name: "sub_min", id: "f-sub_min", size: 4, placeholder: "min", value: params.get("sub_min") || "" }),
          el("input", { name: "sub_max", id: "f-sub_max", size: 4, placeholder: "max", value: params.get("sub_max") || "" }))
      : null,
    el("label", {}, "labelled ", select("labelled", [["", "–"], ["yes", `yes (${facets.labelled})`], ["no", "no"], ["pass", "pass"], ["fail", "fail"], ["score", "score"]], params.get("labelled") || "")),
    el("label", {}, "search ", el("input", { name: "q", id: "f-q", type: "search", value: params.get("q") || "", placeholder: "output, item, prompt, error" })),
    el("label", {}, "sort ", select("sort", [["order", "file order"], ["item", "item"], ["reward", "reward ↑"], ["-reward", "reward ↓"], ...(params.get("sub") ? [["sub", "sub-grader ↑"], ["-sub", "sub-grader ↓"]] : [])], params.get("sort") || "order")),
    el("label", {}, "per page ", select("per_page", [["25", "25"], ["50", "50"], ["100", "100"], ["200", "200"]], params.get("per_page") || "50")),
    el("button", { type: "submit" }, "Apply"),
  );
  const tableBox = el("div", { id: "table-box" });
  const pager = el("div", { class: "pager", id: "pager" });
  const casesBox = el("div", { id: "cases-box" });
  const casesButton = el("button", { type: "button", id: "make-cases", title: "Write golden_cases.yaml in the run folder from the latest labels" }, "Turn labels into golden cases");
  casesButton.addEventListener("click", async () => {
    try {
      const result = await api(`${apiRun(run)}/cases`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      casesBox.replaceChildren(
        el("p", { class: "ok" }, `${result.count} cases written to ${result.path}`),
        result.skipped.length ? el("ul", {}, result.skipped.map((s) => el("li", {}, `${s.item_id} #${s.sample_index}: ${s.reason}`))) : null,
        el("details", {}, el("summary", {}, "the file"), el("pre", { class: "text" }, result.yaml)),
      );
    } catch (err) {
      casesBox.replaceChildren(el("p", { class: "error" }, err.message));
    }
  });
  sections.push(el("section", {}, el("h2", {}, "Samples"), form, pager, tableBox, el("div", { class: "actions" }, casesButton), casesBox));
  main().replaceChildren(...sections);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const field = form.elements.namedItem(name);
      if (field && field.value && !(name === "status" && field.value === "any") && !(name === "sort" && field.value === "order") && !(name === "per_page" && field.value === "50")) next.set(name, field.value);
    }
    history.replaceState(null, "", `${runPath(run)}${next.toString() ? "?" + next : ""}`);
    loadTable(run, tableBox, pager);
  });
  form.addEventListener("change", (event) => {
    if (event.target.tagName === "SELECT") form.requestSubmit();
  });
  await loadTable(run, tableBox, pager);
  await reportDone;
}

// Sub-rewards below 1 are the interesting ones; the rest are counted, not listed.
function subsCell(subs) {
  const entries = Object.entries(subs);
  const low = entries.filter(([, v]) => v < 1);
  const parts = low.map(([name, v]) => el("span", { class: "sub low", title: name }, `${name} ${fmt(v, 2)}`));
  if (entries.length > low.length) parts.push(el("span", { class: "sub ok" }, low.length ? `${entries.length - low.length} more at 1` : `all ${entries.length} at 1`));
  return parts;
}

async function loadTable(run, box, pager) {
  const params = new URLSearchParams(location.search);
  const started = performance.now();
  let data;
  try {
    data = await api(`${apiRun(run)}/samples?${params}`);
  } catch (err) {
    box.replaceChildren(el("p", { class: "error", role: "alert" }, err.message));
    pager.replaceChildren();
    return;
  }
  const took = performance.now() - started;
  const first = (data.page - 1) * data.per_page;
  const rows = data.rows.map((row, n) => {
    const link = new URLSearchParams(params);
    link.delete("page");
    link.set("pos", String(first + n + 1));
    const href = `${samplePath(run, row.item_id, row.sample_index)}?${link}`;
    return el(
      "tr",
      { "data-item": row.item_id, "data-sample": row.sample_index },
      el("td", { class: "num muted" }, first + n + 1),
      el("td", { class: "item" }, el("a", { href }, row.item_id)),
      el("td", { class: "num" }, row.sample_index),
      el("td", { class: "num" }, fmt(row.reward)),
      el("td", {}, statusBadge(row)),
      el("td", {}, row.template),
      el("td", {}, row.difficulty),
      el("td", { class: "subs" }, subsCell(row.sub_rewards)),
      el("td", { class: "snippet" }, row.turns !== null ? el("span", { class: "badge" }, `${row.turns} turns`) : "", row.snippet),
      el("td", {}, labelBadge(row.label)),
    );
  });
  const head = ["#", "item", "sample", "reward", "verdict", "template", "difficulty", "sub-rewards", "output", "label"];
  box.replaceChildren(
    data.rows.length
      ? el("table", { class: "grid", id: "samples" }, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), el("tbody", {}, rows))
      : el("p", { class: "muted", id: "no-rows" }, "No sample matches these filters."),
  );
  const goto = (page) => {
    const next = new URLSearchParams(location.search);
    next.set("page", String(page));
    history.replaceState(null, "", `${runPath(run)}?${next}`);
    loadTable(run, box, pager);
  };
  pager.replaceChildren(
    el("span", { id: "total" }, `${data.total} samples match`),
    el("span", { class: "muted" }, ` (${took.toFixed(0)} ms)`),
    el("button", { type: "button", disabled: data.page <= 1, onclick: () => goto(data.page - 1) }, "‹ prev"),
    el("span", {}, `page ${data.page} of ${data.pages}`),
    el("button", { type: "button", id: "next-page", disabled: data.page >= data.pages, onclick: () => goto(data.page + 1) }, "next ›"),
  );
}

// -------------------------------------------------------------------------------------------------------- sample
function textBlock(text, cls) {
  return el("pre", { class: `text ${cls || ""}` }, text === null || text === undefined ? "" : String(text));
}

function messageText(content) {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  return pretty(content);
}

function messagesView(messages) {
  return el("div", { class: "messages" }, (messages || []).map((m) => el("div", { class: `message role-${m.role}` }, el("div", { class: "role" }, m.role), textBlock(messageText(m.content)))));
}

function argumentsText(args) {
  if (typeof args !== "string") return pretty(args);
  try {
    return pretty(JSON.parse(args));
  } catch (err) {
    return args;
  }
}

function trajectoryView(sample) {
  const steps = sample.trajectory;
  const results = new Map();
  for (const message of steps) {
    if (message && message.role === "tool" && message.tool_call_id) results.set(message.tool_call_id, message);
  }
  const used = new Set();
  const events = [];
  let turn = 0;
  for (const message of steps) {
    if (!message || typeof message !== "object") continue;
    if (message.role === "assistant") {
      turn += 1;
      const calls = (message.tool_calls || []).map((call) => {
        const fn = call.function || {};
        const result = results.get(call.id);
        if (result) used.add(call.id);
        return el(
          "li",
          { class: "call" },
          el("div", { class: "call-head" }, el("span", { class: "tool" }, fn.name || call.name || "?"), el("span", { class: "muted" }, ` ${call.id || ""}`)),
          textBlock(argumentsText(fn.arguments !== undefined ? fn.arguments : call.arguments), "args"),
          result
            ? el("div", { class: "result" }, el("div", { class: "muted" }, "→ result"), textBlock(messageText(result.content)))
            : el("div", { class: "result missing" }, "no tool result recorded"),
        );
      });
      events.push(
        el(
          "li",
          { class: "turn" },
          el("div", { class: "turn-head" }, `turn ${turn}`),
          message.content ? textBlock(messageText(message.content)) : null,
          calls.length ? el("ol", { class: "calls" }, calls) : null,
        ),
      );
    } else if (message.role === "tool") {
      if (!used.has(message.tool_call_id)) events.push(el("li", { class: "turn orphan" }, el("div", { class: "turn-head" }, `tool result for unknown call ${message.tool_call_id || "?"}`), textBlock(messageText(message.content))));
    } else {
      events.push(el("li", { class: "turn" }, el("div", { class: "turn-head" }, message.role || "?"), textBlock(messageText(message.content))));
    }
  }
  return el(
    "section",
    { class: "trajectory", id: "trajectory" },
    el("h3", {}, "Trajectory"),
    el("p", { class: "muted" }, `stop reason: ${sample.stop_reason || "–"} · turns: ${fmt(sample.turns)}`),
    el("ol", { class: "timeline" }, events),
    sample.final_state !== undefined ? el("details", { open: true }, el("summary", {}, "final state"), textBlock(pretty(sample.final_state))) : null,
  );
}

// Where graders keep their reasons (score/label judges: steps; rubric: criteria[].explanation; code: tests).
function collectDetails(metadata, path, found) {
  if (!metadata || typeof metadata !== "object") return found;
  for (const [key, value] of Object.entries(metadata)) {
    const where = path ? `${path}.${key}` : key;
    if (["steps", "explanation", "rationale", "reply", "reason"].includes(key) && value !== null && typeof value !== "object") found.rationale.push([where, String(value)]);
    else if (key === "steps" && Array.isArray(value)) found.rationale.push([where, value.map((s) => (typeof s === "string" ? s : pretty(s))).join("\n")]);
    else if (key === "tests" && Array.isArray(value)) found.tests.push([where, value]);
    else if (key === "criteria" && Array.isArray(value)) found.criteria.push([where, value]);
    else if (value && typeof value === "object" && !Array.isArray(value)) collectDetails(value, where, found);
  }
  return found;
}

function gradeView(grade, threshold) {
  if (!grade) return el("section", { class: "grade" }, el("h3", {}, "Grade"), el("p", { class: "muted" }, "not graded yet"));
  const parts = [el("h3", {}, "Grade")];
  const passed = grade.status === "scored" && grade.reward >= threshold - 1e-9;
  parts.push(
    el("p", { class: "reward-line" },
      el("span", { class: "reward" }, fmt(grade.reward, 4)),
      " ",
      grade.status === "error" ? el("span", { class: "badge err" }, "error") : el("span", { class: passed ? "badge pass" : "badge fail" }, passed ? "pass" : "fail"),
      el("span", { class: "muted" }, ` ${(grade.grader || {}).name || ""} (${(grade.grader || {}).type || ""}) · threshold ${threshold}`)),
  );
  const errors = grade.errors && grade.errors.length ? grade.errors : grade.error ? [grade.error] : [];
  for (const error of errors) {
    parts.push(el("div", { class: "error-box" }, el("b", {}, `${error.kind} (${error.flag})`), error.grader ? ` in ${error.grader}` : "", textBlock(error.message)));
  }
  const subs = Object.entries(grade.sub_rewards || {});
  if (subs.length) {
    parts.push(
      el("table", { class: "grid compact subs-table" },
        el("thead", {}, el("tr", {}, el("th", {}, "sub-grader"), el("th", {}, "score"), el("th", {}, ""))),
        el("tbody", {}, subs.map(([name, value]) => el("tr", {}, el("td", {}, name), el("td", { class: "num" }, fmt(value, 3)), el("td", {}, el("meter", { min: 0, max: 1, value: Math.max(0, Math.min(1, Number(value) || 0)) })))))),
    );
  }
  const details = collectDetails(grade.metadata, "", { rationale: [], tests: [], criteria: [] });
  if (details.rationale.length) {
    parts.push(el("h4", {}, "Judge rationale and reasons"), details.rationale.map(([where, text]) => el("div", { class: "rationale" }, el("div", { class: "muted" }, where), textBlock(text))));
  }
  for (const [where, criteria] of details.criteria) {
    parts.push(el("h4", {}, `Rubric (${where})`),
      el("table", { class: "grid compact" }, el("tbody", {}, criteria.map((c) => el("tr", {}, el("td", {}, c.met ? "✔" : "✘"), el("td", { class: "num" }, fmt(c.points)), el("td", {}, c.criterion || c.id || ""), el("td", {}, c.explanation || "")))))); 
  }
  for (const [where, tests] of details.tests) {
    const passedCount = tests.filter((t) => t.status === "passed").length;
    parts.push(el("h4", {}, `Tests (${where}): ${passedCount} of ${tests.length} passed`),
      el("table", { class: "grid compact tests" }, el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, "status"), el("th", {}, "message"))),
        el("tbody", {}, tests.map((t) => el("tr", {}, el("td", { class: "num" }, fmt(t.index)), el("td", {}, el("span", { class: t.status === "passed" ? "badge pass" : "badge fail" }, t.status)), el("td", {}, textBlock(t.message || "")))))));
  }
  if (grade.metadata && Object.keys(grade.metadata).length) parts.push(el("details", {}, el("summary", {}, "grader metadata"), textBlock(pretty(grade.metadata))));
  return el("section", { class: "grade" }, parts);
}

function outputView(sample) {
  if (!sample) return el("section", { class: "output" }, el("h3", {}, "Output"), el("p", { class: "muted" }, "no sample record"));
  const parts = [el("h3", {}, "Output")];
  if (sample.error) parts.push(el("div", { class: "error-box" }, el("b", {}, "sampling error"), textBlock(pretty(sample.error))));
  const text = sample.output_text !== undefined ? sample.output_text : messageText((((sample.choices || [])[0] || {}).message || {}).content);
  parts.push(textBlock(text, "output-text"));
  if (sample.output_json !== null && sample.output_json !== undefined) parts.push(el("details", {}, el("summary", {}, "output_json"), textBlock(pretty(sample.output_json))));
  if (sample.output_tools && sample.output_tools.length && !sample.trajectory) parts.push(el("details", { open: true }, el("summary", {}, `tool calls (${sample.output_tools.length})`), textBlock(pretty(sample.output_tools))));
  const usage = sample.usage ? ` · tokens ${sample.usage.prompt_tokens || 0} + ${sample.usage.completion_tokens || 0}` : "";
  parts.push(el("p", { class: "muted" }, `model ${sample.model || "–"}${usage}${sample.latency_ms ? ` · ${fmt(sample.latency_ms, 0)} ms` : ""}`));
  return el("section", { class: "output" }, parts);
}

function columnView(title, sample, grade, threshold, id) {
  return el("div", { class: "column", id }, el("h2", {}, title), outputView(sample), sample && Array.isArray(sample.trajectory) ? trajectoryView(sample) : null, gradeView(grade, threshold));
}

async function saveLabel(run, data, verdict, status, refresh) {
  const who = labeller();
  if (!who) {
    status.replaceChildren(el("span", { class: "error" }, "Type your name in the labeller box (top right) first."));
    document.getElementById("labeller").focus();
    return;
  }
  const note = document.getElementById("label-note").value;
  try {
    const result = await api(`${apiRun(run)}/labels`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ item_id: data.item_id, sample_index: data.sample_index, verdict, labeller: who, note }),
    });
    status.replaceChildren(el("span", { class: "ok", id: "label-saved" }, `saved: ${typeof verdict === "number" ? verdict : verdict} by ${who}`));
    refresh(result.labels);
  } catch (err) {
    status.replaceChildren(el("span", { class: "error" }, err.message));
  }
}

async function neighbour(run, step) {
  const params = new URLSearchParams(location.search);
  const pos = Number(params.get("pos"));
  if (!pos || pos + step < 1) return null;
  const query = new URLSearchParams(params);
  query.delete("pos");
  query.set("per_page", "1");
  query.set("page", String(pos + step));
  const data = await api(`${apiRun(run)}/samples?${query}`);
  if (!data.rows.length) return null;
  params.set("pos", String(pos + step));
  return `${samplePath(run, data.rows[0].item_id, data.rows[0].sample_index)}?${params}`;
}

async function pageSample(run, item, index) {
  const data = await api(`/api/runs/${enc(run)}/samples/${String(item).split("/").map(enc).join("/")}/${index}`);
  const back = new URLSearchParams(location.search);
  back.delete("pos");
  setCrumbs(el("a", { href: `${runPath(run)}${back.toString() ? "?" + back : ""}` }, run), el("span", {}, `${item} #${index}`));
  const threshold = data.pass_threshold;
  const status = el("span", { id: "label-status", role: "status" });
  const list = el("ul", { id: "label-list" });
  const showLabels = (labels) => list.replaceChildren(...labels.map((l) => el("li", {}, labelBadge(l), l.note ? el("span", { class: "muted" }, ` “${l.note}”`) : "", el("span", { class: "muted" }, ` ${l.time}`))));
  showLabels(data.labels);
  const score = el("input", { id: "label-score", type: "number", step: "0.05", placeholder: "score", size: 6 });
  const note = el("textarea", { id: "label-note", rows: 2, maxlength: 10000, placeholder: "note (optional)" });
  const save = (verdict) => saveLabel(run, data, verdict, status, showLabels);
  const saveScore = () => {
    const value = Number(score.value);
    if (score.value === "" || !Number.isFinite(value)) {
      status.replaceChildren(el("span", { class: "error" }, "type a number in the score box"));
      return;
    }
    save(value);
  };
  score.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      saveScore();
    }
  });
  const go = async (step) => {
    const url = await neighbour(run, step);
    if (url) location.assign(url);
    else status.replaceChildren(el("span", { class: "muted" }, step > 0 ? "last sample of the list" : "first sample of the list"));
  };
  const panel = el(
    "section",
    { class: "label-panel", id: "label-panel" },
    el("h2", {}, "Your verdict"),
    el("div", { class: "label-buttons" },
      el("button", { type: "button", id: "label-pass", class: "pass", onclick: () => save("pass") }, "Pass (p)"),
      el("button", { type: "button", id: "label-fail", class: "fail", onclick: () => save("fail") }, "Fail (f)"),
      score,
      el("button", { type: "button", id: "label-score-save", onclick: saveScore }, "Save score (s, Enter)"),
      el("button", { type: "button", id: "prev-sample", onclick: () => go(-1) }, "‹ prev (k)"),
      el("button", { type: "button", id: "next-sample", onclick: () => go(1) }, "next (j) ›")),
    note,
    el("p", { class: "muted" }, "Keys: p pass · f fail · s score · n note · j/k next/previous in the filtered list · Esc leaves a text box."),
    status,
    list,
  );
  const summary = data.summary;
  const head = el(
    "section",
    { class: "sample-head" },
    el("h1", {}, `${item} `, el("span", { class: "muted" }, `#${index}`)),
    el("p", {}, statusBadge(summary), ` reward ${fmt(summary.reward, 4)} · ${summary.template} · ${summary.difficulty}`),
    data.siblings.length > 1
      ? el("p", { class: "siblings" }, "samples of this item: ", data.siblings.map((i) => (i === index ? el("b", {}, ` ${i} `) : el("a", { href: samplePath(run, item, i) }, ` ${i} `))))
      : null,
  );
  const item_ = data.item || {};
  const reference = Object.fromEntries(Object.entries(item_).filter(([k]) => !["messages", "id"].includes(k)));
  const prompt = el("section", { class: "prompt" }, el("h2", {}, "Prompt"), messagesView(item_.messages), el("details", {}, el("summary", {}, "reference fields and metadata"), textBlock(pretty(reference))));
  const columns = [columnView(`This run: ${run}`, data.sample, data.grade, threshold, "this-run")];
  if (data.baseline) {
    const b = data.baseline;
    const title = `Baseline: ${b.name || b.path}`;
    columns.push(
      b.found
        ? columnView(title, b.sample, b.grade, b.pass_threshold, "baseline")
        : el("div", { class: "column", id: "baseline" }, el("h2", {}, title), el("p", { class: "muted" }, `the baseline has no sample #${index} of this item`, b.siblings.length ? ` (it has ${b.siblings.join(", ")})` : "")),
    );
  }
  main().replaceChildren(head, panel, prompt, el("div", { class: data.baseline ? "columns two" : "columns" }, columns));

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Escape" && target instanceof HTMLElement) {
      target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target instanceof HTMLElement && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
    const actions = { p: () => save("pass"), f: () => save("fail"), s: () => score.focus(), n: () => note.focus(), j: () => go(1), k: () => go(-1) };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
}

// ----------------------------------------------------------------------------------------------------------- boot
function boot() {
  const box = document.getElementById("labeller");
  box.value = localStorage.getItem(LABELLER_KEY) || "";
  box.addEventListener("input", () => localStorage.setItem(LABELLER_KEY, box.value.trim()));
  const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const page = document.body.dataset.page;
  let work;
  if (page === "run") work = pageRun(parts[1]);
  else if (page === "sample") work = pageSample(parts[1], parts.slice(3, -1).join("/"), Number(parts[parts.length - 1]));
  else work = pageRuns();
  work.then(() => document.body.setAttribute("data-ready", "1")).catch((err) => {
    showError(err);
    document.body.setAttribute("data-ready", "error");
  });
}

document.addEventListener("DOMContentLoaded", boot);
