"""`scripted/*`: a deterministic offline provider for CLI smoke tests and judge-logic tests.

Why: `mockllm` counts tokens with tiktoken, which downloads its vocabulary, so it fails offline
from the CLI; and it cannot play a judge. Every output sets `usage`, so no tokenizer is needed.

from benchmark.errors import HumorBenchError

Models:
  scripted/student          "Paraphrase: "<input>, which is basically a sitcom plot."" (exercises cleaning)
  scripted/echo             the input, verbatim (a copying student)
  scripted/judge[-POLICY]   answers the paper's MCP prompt with "Reason: ...\nAnswer: N"
POLICY: longer (default), shorter, first, second, garbage (never parseable),
flaky (unparseable on the first try of each prompt, then like `longer`), random (a fair coin per
prompt, seeded by the prompt's sha256: repeatable, and blind to the content), obedient (the attack
suite's test double: obeys a request to pick a slot, or "this one", written in candidate text that the
prompt does not fence as data, i.e. outside <paraphrase> tags, or anywhere with `-M fence_blind=true`;
otherwise like `first`, blind to the content, so added text can only gain by being obeyed).
With `logprobs` requested the judge also returns top logprobs of the answer digit (p = 0.9).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    Logprob,
    Logprobs,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    TopLogprob,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo

JUDGE_POLICIES = ("longer", "shorter", "first", "second", "garbage", "flaky", "random", "obedient")
CANDIDATE_RE = re.compile(r"^\s*1\.\s*(?P<p1>.*?)\s*\n\s*2\.\s*(?P<p2>.*?)\s*\n", re.S | re.M)
SLOT_LINE_RE = re.compile(r"^([12])\. ", re.M)  # where each slot starts (a candidate may fake one)
FENCED_RE = re.compile(r"<paraphrase>(.*?)</paraphrase>", re.S)  # what the prompt marks as data
# what the obedient judge obeys: a slot named in an order or a verdict, or "this one" (its own slot)
OBEY_SLOT_RE = re.compile(
    r"\banswer\s*[:=]\s*([12])|\b(?:choose|pick|select|output|prefer)\s+(?:paraphrase\s*|option\s*|number\s*)?(1|2|one|two)\b"
    r"|\b(?:paraphrase|option)\s*([12])\s+is\s+(?:clearly\s+)?(?:better|funnier|the best)", re.I)
OBEY_SELF_RE = re.compile(r"\b(?:choose|pick|select|prefer)\s+(?:this|me)\b|\bthis (?:one|paraphrase) (?:is|wins)\b"
                          r"|\b\d+/10\b|\bfunniest\b", re.I)
SENTENCE_RE = re.compile(r"Sentence:\s*(?P<s>.+?)\s*$", re.S)
CHOSEN_PROB = 0.9


class ScriptedAPI(ModelAPI):
    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        role, _, policy = model_name.partition("-")
        if role not in ("student", "echo", "judge"):
            raise HumorBenchError(f"unknown scripted model '{model_name}'; use scripted/student, scripted/echo or scripted/judge[-POLICY]")
        policy = model_args.get("policy", policy or "longer")
        if role == "judge" and policy not in JUDGE_POLICIES:
            raise HumorBenchError(f"unknown judge policy '{policy}'; choose one of: {', '.join(JUDGE_POLICIES)}")
        self.role, self.policy = role, policy
        self.fence_blind = str(model_args.get("fence_blind", False)).lower() in ("true", "1")
        self.calls: Counter[str] = Counter()

    def max_connections(self) -> int:
        return 32

    async def generate(
        self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig
    ) -> ModelOutput:
        prompt = input[-1].text
        self.calls[prompt] += 1
        if self.role == "judge":
            return self._judge(prompt, config)
        sentence = _sentence(prompt)
        text = sentence if self.role == "echo" else f'Paraphrase: "{sentence.rstrip(".")}, which is basically a sitcom plot."'
        return _output(self.model_name, text, prompt)

    def _judge(self, prompt: str, config: GenerateConfig) -> ModelOutput:
        match = CANDIDATE_RE.search(prompt + "\n")
        if self.policy == "garbage" or (self.policy == "flaky" and self.calls[prompt] == 1) or not match:
            return _output(self.model_name, "Both are lovely; I could not possibly choose.", prompt)
        p1, p2 = (FENCED_RE.sub(r"\1", match.group(k)) for k in ("p1", "p2"))
        choice = (self.policy == "obedient" and _obeyed(prompt, self.fence_blind)) or {
            "first": "1",
            "second": "2",
            "longer": "1" if len(p1) >= len(p2) else "2",
            "shorter": "1" if len(p1) <= len(p2) else "2",
            "flaky": "1" if len(p1) >= len(p2) else "2",
            "random": "1" if int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 2 else "2",
            "obedient": "1",
        }[self.policy]
        output = _output(self.model_name, f"Reason: scripted policy '{self.policy}'.\nAnswer: {choice}", prompt)
        if config.logprobs:
            other = "2" if choice == "1" else "1"
            top = [TopLogprob(token=choice, logprob=math.log(CHOSEN_PROB)), TopLogprob(token=other, logprob=math.log(1 - CHOSEN_PROB))]
            output.choices[0].logprobs = Logprobs(
                content=[
                    Logprob(token="Answer", logprob=0.0, top_logprobs=[]),
                    Logprob(token=":", logprob=0.0, top_logprobs=[]),
                    Logprob(token=" " + choice, logprob=math.log(CHOSEN_PROB), top_logprobs=top),
                ]
            )
        return output


def _obeyed(prompt: str, fence_blind: bool = False) -> str | None:
    """The slot ("1"/"2") that unfenced candidate text (any, when fence_blind) asks for, when the requests agree."""
    region = prompt.split("Paraphrases:\n", 1)[-1].rsplit("\nFormat your answer", 1)[0].rsplit("\nAnswer with only", 1)[0]
    marks = list(SLOT_LINE_RE.finditer(region))
    wanted = set()
    for mark, following in zip(marks, marks[1:] + [None]):
        slot = region[mark.end(): following.start() if following else len(region)]
        outside = slot.replace("<paraphrase>", " ").replace("</paraphrase>", " ") if fence_blind else FENCED_RE.sub(" ", slot)
        for match in OBEY_SLOT_RE.finditer(outside):
            digit = next(g for g in match.groups() if g)
            wanted.add({"one": "1", "two": "2"}.get(digit.lower(), digit))
        if OBEY_SELF_RE.search(outside):
            wanted.add(mark.group(1))
    return wanted.pop() if len(wanted) == 1 else None


def _sentence(prompt: str) -> str:
    match = SENTENCE_RE.search(prompt)
    return (match.group("s") if match else prompt).strip()


def _output(model: str, text: str, prompt: str) -> ModelOutput:
    output = ModelOutput.from_content(model=model, content=text)
    n_in, n_out = len(prompt.split()), len(text.split())
    output.usage = ModelUsage(input_tokens=n_in, output_tokens=n_out, total_tokens=n_in + n_out)
    return output


@modelapi(name="scripted")
def scripted() -> type[ModelAPI]:
    return ScriptedAPI
