"""Task parameters -> settings objects: the flat -T surface, its two objects, deprecated names, errors."""

import warnings

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai._util.registry import registry_info
from inspect_ai.log import read_eval_log

from benchmark.errors import HumorBenchError
from benchmark.humor_wtr import (
    DEPRECATED_PARAMETERS, TASK_PARAMETER_NAMES, TASK_PARAMETERS, default_verdict_cache, humor_wtr, humor_wtr_ood,
    task_settings,
)
from scorers.pairwise import JudgeSettings
from scorers.scorer import SCORER_NAME, pairwise_humor_judge
from solvers.paraphrase import StudentDecoding

OLD_SETTINGS_KEYS = {  # metadata["settings"] of every log written before the settings objects
    "suite", "split", "arbiter", "reference", "reference_seed", "mcp_mode", "max_retries", "cloze_temperature",
    "judge_cache", "judges", "tie_check", "prompt_style", "temperature", "top_p", "max_tokens", "num_beams", "seed",
}


def test_flat_parameters_become_both_objects_recorded_in_the_task_metadata():
    task = humor_wtr_ood(method="mcp", reference="all", judges="grader,grader_2", verdict_cache="/tmp/v.sqlite",
                         temperature=0.7, num_beams=3, prompt_style="chat", model="ignored/by-the-task")
    decoding, judging = task.metadata["student_decoding"], task.metadata["judge_settings"]
    assert decoding == StudentDecoding(prompt_style="chat", temperature=0.7, num_beams=3).as_dict()
    assert judging == JudgeSettings(method="mcp", reference="all", roles=("grader", "grader_2"),
                                    verdict_cache="/tmp/v.sqlite").as_dict()
    assert judging["roles"] == ["grader", "grader_2"] and judging["inspect_cache"] is True
    settings = task.metadata["settings"]
    assert set(settings) == OLD_SETTINGS_KEYS | {"method", "verdict_cache"}  # stored logs stay comparable
    assert (settings["suite"], settings["method"], settings["arbiter"]) == ("ood", "mcp", "mcp")
    assert settings["verdict_cache"] == settings["judge_cache"] == "/tmp/v.sqlite"


def test_the_task_defaults_are_the_objects_defaults():
    decoding, judging = task_settings(TASK_PARAMETERS)
    assert decoding == StudentDecoding()
    assert judging == JudgeSettings(verdict_cache=default_verdict_cache())
    assert TASK_PARAMETER_NAMES == ("split", *TASK_PARAMETERS) and "tie_check" in TASK_PARAMETER_NAMES


def test_verdict_cache_false_turns_off_both_caches():
    _, judging = task_settings({**TASK_PARAMETERS, "verdict_cache": False})
    assert (judging.verdict_cache, judging.inspect_cache) == (None, False)


@pytest.mark.parametrize("old,new,value,field,expected", [
    ("arbiter", "method", "mcp", "method", "mcp"),
    ("judge_cache", "verdict_cache", False, "verdict_cache", None),
])
def test_deprecated_names_warn_and_map_to_the_new_ones(old, new, value, field, expected):
    assert DEPRECATED_PARAMETERS[old] == new
    with pytest.warns(FutureWarning, match=f"'{old}' is deprecated.*use '{new}'"):
        task = humor_wtr(suite="ood", **{old: value})
    assert task.metadata["judge_settings"][field] == expected
    assert task.metadata["settings"][old] == task.metadata["settings"][new] == value


def test_deprecated_names_still_run_end_to_end(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        task = humor_wtr(suite="ood", arbiter="mcp", judge_cache=False, tie_check=False)
    [log] = inspect_eval(task, model="scripted/student", model_roles={"grader": "scripted/judge-longer"},
                         log_dir=str(tmp_path), display="none", limit=2)
    assert log.status == "success", log.error
    score = read_eval_log(log.location).samples[0].scores[SCORER_NAME]
    assert score.metadata["method"] == score.metadata["arbiter"] == "mcp"
    assert score.metadata["judge_calls"] == {"cached": 0, "made": 2}  # no verdict cache: both orders paid


@pytest.mark.parametrize("old,new", list(DEPRECATED_PARAMETERS.items()))
def test_an_old_and_its_new_name_together_are_one_line_error(old, new):
    with pytest.raises(HumorBenchError, match=f"'{old}' and '{new}' are one setting") as error:
        humor_wtr(suite="ood", **{old: TASK_PARAMETERS[new], new: TASK_PARAMETERS[new]})
    assert "\n" not in str(error.value)


def test_unknown_parameter_lists_the_current_names_only():
    with pytest.raises(HumorBenchError, match=r"^unknown task parameter\(s\) refrence, temprature; valid: ") as error:
        humor_wtr(suite="ood", refrence="all", temprature=0.5)
    valid = str(error.value).split("valid: ")[1].split(", ")
    assert valid == sorted(TASK_PARAMETER_NAMES) and "arbiter" not in valid


@pytest.mark.parametrize("params,field", [
    ({"top_p": 0}, "'top_p'"), ({"max_tokens": 0}, "'max_tokens'"), ({"prompt_style": "xml"}, "'prompt_style'"),
    ({"temperature": -1}, "'temperature'"), ({"method": "vibes"}, "'method'"), ({"reference": "best"}, "'reference'"),
    ({"judges": " , "}, "'roles'"), ({"max_retries": -1}, "'max_retries'"), ({"verdict_cache": 3}, "verdict_cache"),
])
def test_a_bad_setting_names_the_field_and_the_fix(params, field):
    with pytest.raises(HumorBenchError, match=field) as error:
        humor_wtr(suite="ood", **params)
    assert any(word in str(error.value) for word in ("choose", "pass", "name"))


def test_scorer_name_is_the_registered_scorers_name():
    assert registry_info(pairwise_humor_judge(JudgeSettings())).name == SCORER_NAME == "pairwise_humor_judge"
