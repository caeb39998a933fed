"""Task definitions: what goes in, what comes out, and how predictions are scored.

The three tasks of the paper are built in; a custom source→target task is one :class:`Task` away, from Python
(``Task(name="commit_message", source_language="java", metrics=("bleu",))``) or from YAML
(``data.task: {name: commit_message, source_language: java, metrics: [bleu]}``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Task:
    """A source→target generation task.

    Args:
        name: task name, used in output folders and logs.
        source_language: language of the source code (CPG extraction); ``None`` reads it per example from the
            data's ``language`` field.
        target_language: language of the target when it is code (enables CodeBLEU); ``None`` for text targets.
        metrics: metric names computed on validation/test (see ``tasks.metrics``); the first is the one
            checkpointing and early stopping follow.
        source_prefix: text prepended to every source before tokenization (e.g. an instruction for a
            decoder-only backbone).
        source_is_code: ``False`` for natural-language sources (code generation): no graph can be extracted, so
            methods that use graphs run graph-free (every sample gets the empty graph, and the run says so).
        graph_blanks: markers in the source that are not code (ATLAS's ``"<FocalMethod>"`` between the test and the
            focal method): blanked to as many spaces before CPG extraction, so the graph parses and its byte spans
            still match the source's tokens.
    """

    name: str
    source_language: str | None = None
    target_language: str | None = None
    metrics: tuple[str, ...] = ("bleu", "sacrebleu", "exact_match")
    source_prefix: str = ""
    source_is_code: bool = True
    graph_blanks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.metrics = tuple(self.metrics)
        self.graph_blanks = tuple(self.graph_blanks)
        if not self.metrics:
            raise ValueError(f"task {self.name!r}: `metrics` is empty; give at least one (e.g. ['bleu'])")
        if not all(self.graph_blanks):
            raise ValueError(f"task {self.name!r}: `graph_blanks` holds an empty marker; give the text to blank")

    def graph_code(self, source: str) -> str:
        """``source`` as the CPG extractor reads it: every ``graph_blanks`` marker replaced by as many spaces."""
        for marker in self.graph_blanks:
            source = source.replace(marker, " " * len(marker))
        return source

    @property
    def main_metric(self) -> str:
        """The metric that best-checkpoint selection and early stopping follow (higher is better)."""
        return self.metrics[0]


BUILTIN_TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task("code_summarization", source_language="java", metrics=("bleu", "sacrebleu", "exact_match")),
        Task(
            "assert_generation",
            source_language="java",
            target_language="java",
            metrics=("exact_match", "bleu", "sacrebleu", "codebleu"),
            graph_blanks=('"<FocalMethod>"',),
        ),
        Task(
            "code_translation",
            source_language="java",
            target_language="c_sharp",
            metrics=("corpus_bleu", "exact_match", "codebleu", "bleu"),
        ),
        Task(
            "code_generation",
            target_language="python",
            metrics=("exact_match", "corpus_bleu", "codebleu", "bleu"),
            source_is_code=False,
        ),
    )
}


def resolve_task(task: str | Task) -> Task:
    """A built-in task by name, or the given :class:`Task` itself."""
    if isinstance(task, Task):
        return task
    if task not in BUILTIN_TASKS:
        raise ValueError(
            f"unknown task {task!r}; built-in tasks are {sorted(BUILTIN_TASKS)}, or define your own with "
            "`task: {name: ..., source_language: ..., metrics: [...]}`"
        )
    return BUILTIN_TASKS[task]


__all__ = ["BUILTIN_TASKS", "Task", "resolve_task"]
