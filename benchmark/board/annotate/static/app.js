// The labeling page: keys 1 / 2 / T / S, then the meaning question (1 / 2 / T), U undoes.
"use strict";
const annotator = new URLSearchParams(location.search).get("annotator") || "";
const $ = (id) => document.getElementById(id);
let current = null;      // the pair on screen
let funnier = null;      // first answer, waiting for the meaning answer
let busy = false;
let lastView = null;  // what the server last sent (undo of a half-given answer goes back to it)

function status(text, error = false) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

function show(view) {
  lastView = view;
  current = view.pair || null;
  funnier = null;
  $("bar").max = Math.max(view.total, 1);
  $("bar").value = view.labeled;
  $("count").textContent = `${view.labeled} / ${view.total}`;
  $("undo").disabled = !view.can_undo;
  $("work").hidden = view.done;
  $("finished").hidden = !view.done;
  $("meaning").hidden = true;
  $("funny").hidden = false;
  for (const card of ["card1", "card2"]) $(card).className = "card";
  if (current) {
    $("input").textContent = current.input;
    $("text1").textContent = current.first;
    $("text2").textContent = current.second;
  }
}

async function call(path, body) {
  if (busy) return;
  busy = true;
  try {
    const response = body === undefined
      ? await fetch(`${path}?annotator=${encodeURIComponent(annotator)}`)
      : await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                           body: JSON.stringify({annotator, ...body})});
    const data = await response.json();
    if (!response.ok) { status(data.error || `error ${response.status}`, true); return; }
    status(body && body.funnier ? "saved" : "");
    show(data);
  } catch (error) {
    status(`the server did not answer (${error}); your earlier answers are saved, reload to continue`, true);
  } finally {
    busy = false;
  }
}

function pickFunnier(choice) {
  if (!current) return;
  if (choice === "skip") { call("/api/label", {key: current.key, funnier: "skip", faithful: null}); return; }
  funnier = choice;
  $("card1").className = "card" + (choice === "1" ? " picked" : choice === "tie" ? " tied" : "");
  $("card2").className = "card" + (choice === "2" ? " picked" : choice === "tie" ? " tied" : "");
  $("funny").hidden = true;
  $("meaning").hidden = false;
}

function pickFaithful(choice) {
  if (!current || funnier === null) return;
  call("/api/label", {key: current.key, funnier, faithful: choice});
}

function undo() {
  if (funnier !== null) { show(lastView); return; }  // only the first answer was given: take it back here
  call("/api/undo", {});
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key.toLowerCase();
  const choice = {"1": "1", "2": "2", "t": "tie", "s": "skip"}[key];
  if (key === "u" || key === "backspace") { event.preventDefault(); undo(); return; }
  if (!choice) return;
  event.preventDefault();
  if (funnier === null) pickFunnier(choice); else if (choice !== "skip") pickFaithful(choice);
});
document.querySelectorAll("[data-funnier]").forEach((b) => b.addEventListener("click", () => pickFunnier(b.dataset.funnier)));
document.querySelectorAll("[data-faithful]").forEach((b) => b.addEventListener("click", () => pickFaithful(b.dataset.faithful)));
$("undo").addEventListener("click", undo);

if (!annotator) {
  status("open this page as /?annotator=<your name> (humor-bench annotate prints the address)", true);
} else {
  $("who").textContent = `annotator: ${annotator}`;
  call("/api/next");
}
