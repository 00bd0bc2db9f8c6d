"""The content-addressed verdict cache: what it keys on, what a rerun pays, and that it survives processes."""

import asyncio

from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log
from inspect_ai.model import GenerateConfig, get_model

from benchmark.humor_wtr import humor_wtr
from scorers.verdict_cache import CachedJudge, CallLedger, VerdictStore, judge_identity, open_store

SCORER = "pairwise_humor_judge"


class CountingLikelihood:
    """A likelihood scorer that counts what it is asked (stands in for a local model's API)."""

    def __init__(self):
        self.pairs = []

    async def continuation_logprobs(self, pairs):
        self.pairs.extend(pairs)
        return [-float(len(c)) / (2.0 if "hilarious" in ctx else 1.0) for ctx, c in pairs]


class FakeModel:
    """Just enough of inspect's Model for CachedJudge: an api and a config."""

    def __init__(self, api, name="fake/judge"):
        self.api, self.name = api, name
        self.config = GenerateConfig()
        api.base_url = None

    def __str__(self):
        return self.name


def test_mcp_verdicts_are_served_from_the_cache_and_keyed_by_order(tmp_path):
    store = VerdictStore(tmp_path / "c.sqlite")
    judge = get_model("scripted/judge-longer")
    ledger = CallLedger()
    view = CachedJudge(judge, store, "item-1", "I lost my keys.", ledger)
    first = asyncio.run(view.mcp("short", "a much longer one", "student_first", "auto", 2, False))
    again = asyncio.run(view.mcp("short", "a much longer one", "student_first", "auto", 2, False))
    swapped = asyncio.run(view.mcp("a much longer one", "short", "student_second", "auto", 2, False))
    assert (first.choice, first.cached, again.choice, again.cached) == (2, False, 2, True)
    assert again.p_first == first.p_first and again.mode == "direct"
    assert swapped.cached is False and swapped.choice == 1
    assert (ledger.cached, ledger.made) == (1, 2)
    # another item with the same texts is a different key: a suite edit never leaks verdicts across ids
    other = CachedJudge(judge, store, "item-2", "I lost my keys.", CallLedger())
    assert asyncio.run(other.mcp("short", "a much longer one", "student_first", "auto", 2, False)).cached is False


def test_cloze_scores_are_cached_per_candidate(tmp_path):
    store = VerdictStore(tmp_path / "c.sqlite")
    api = CountingLikelihood()
    model = FakeModel(api)
    first_run = CachedJudge(model, store, "item-1", "I lost my keys.", CallLedger())
    s1 = asyncio.run(first_run.cloze_scores(["student one", "the reference"]))
    assert len(api.pairs) == 4  # 2 candidates x 2 framings, one request
    ledger = CallLedger()
    next_run = CachedJudge(model, store, "item-1", "I lost my keys.", ledger)  # a new checkpoint, same item
    s2 = asyncio.run(next_run.cloze_scores(["student two", "the reference"]))
    assert len(api.pairs) == 6 and s2[1] == s1[1]  # the reference came from the store
    s3 = asyncio.run(next_run.cloze_scores(["I lost my keys.", "student two", "the reference"]))  # the tie check
    assert len(api.pairs) == 8 and s3[1:] == s2  # only the input copy was new
    assert (ledger.cached, ledger.made) == (1, 2)  # this view's own repeats are not requests at all


def test_judge_identity_changes_with_the_config_and_the_weights(tmp_path, embedded_dir):
    import shutil

    a = judge_identity(get_model("scripted/judge-longer"))
    b = judge_identity(get_model("scripted/judge-longer", config=GenerateConfig(temperature=0.5)))
    assert a != b
    folder = tmp_path / "ckpt"
    shutil.copytree(embedded_dir, folder)
    before = judge_identity(get_model(f"hf-folder/{folder}"))
    (folder / "model.safetensors").touch()  # retrained in place (new mtime)
    after = judge_identity(get_model(f"hf-folder/{folder}", memoize=False))
    assert before != after and str(folder) in before


def test_store_is_shared_by_processes_and_keeps_every_write(tmp_path):
    path = tmp_path / "c.sqlite"
    open_store(path).put("k", {"score": 1.5})
    assert VerdictStore(path).get("k") == {"score": 1.5} and len(VerdictStore(path)) == 1


def test_a_rerun_pays_no_judge_call_and_reports_the_hit_rate(tmp_path):
    def run(name, **task_args):
        [log] = inspect_eval(
            humor_wtr(suite="ood", method="mcp", **task_args), model="scripted/student",
            model_roles={"grader": "scripted/judge-longer"}, log_dir=str(tmp_path / name), display="none", limit=4,
        )
        assert log.status == "success"
        return read_eval_log(log.location)

    cold = run("cold")
    warm = run("warm")
    m_cold = {k: v.value for k, v in cold.results.scores[0].metrics.items()}
    m_warm = {k: v.value for k, v in warm.results.scores[0].metrics.items()}
    # 4 items x 2 orders of MCP, plus the tie check's cloze scores of input copy, student and reference
    assert m_cold["judge_requests_made"] == 4 * 2 + 4 * 3 and m_cold["judge_cache_hit_rate"] == 0
    assert m_warm["judge_requests_made"] == 0 and m_warm["judge_cache_hit_rate"] == 1
    assert m_warm["wtr"] == m_cold["wtr"]
    judge_events = [e for s in warm.samples for e in s.events if e.event == "model" and e.role == "grader"]
    assert judge_events == []  # not even a cache read: the verdict came from our store
    off = run("off", verdict_cache=False)
    assert {k: v.value for k, v in off.results.scores[0].metrics.items()}["judge_requests_made"] == 20
