"""The ``transducer`` console command: one entry point, one subcommand per job.

- ``transducer cpg FILE --language java``: extract a code property graph (``cpg.cli``).
- ``transducer fit|validate|test|predict --config configs/...yaml``: training and evaluation (``tasks.cli``,
  a Lightning CLI).
- ``transducer bench``: the method comparison benchmark (``tasks.bench``).
- ``transducer pretrain``: pretrain a small T5 code backbone from scratch (``tasks.pretrain``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from transducer.quiet import quiet_third_party_noise

USAGE = """usage: transducer {cpg,fit,validate,test,predict,bench,pretrain,data,joern} ...

  cpg       extract a code property graph from a source file
  fit       train an adaptation method (Lightning CLI; --config configs/<task>/<method>.yaml)
  validate  evaluate on the validation split
  test      evaluate on the test split
  predict   write predictions for a file of inputs
  bench     compare every adaptation method (parameters, memory, speed[, quality])
  pretrain  pretrain a small T5 code backbone from scratch (corpus, tokenizer, training, HF folder)
  data      build real datasets from pinned Java projects (`transducer data build all`)
  joern     install the pinned Joern from Maven Central (`transducer joern install`)

Run `transducer <command> --help` for the options of a command."""

LIGHTNING_SUBCOMMANDS = ("fit", "validate", "test", "predict")


#: errors that describe a problem with the user's input; shown as one line (TRANSDUCER_TRACEBACK=1 shows all)
USER_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError, KeyError)


@contextmanager
def one_line_errors(command: str) -> Iterator[None]:
    """Turn errors about the user's input (missing files, bad options or data) into one line on stderr, exit 2."""
    try:
        yield
    except USER_ERRORS as error:
        if os.environ.get("TRANSDUCER_TRACEBACK"):
            raise
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"transducer {command}: error: {message} (TRANSDUCER_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> None:
    quiet_third_party_noise()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return
    command, rest = args[0], args[1:]
    if command == "cpg":
        from cpg.cli import main as cpg_main

        cpg_main(rest)
    elif command == "bench":
        from tasks.bench.cli import main as bench_main

        bench_main(rest)
    elif command == "joern":
        from cpg.joern_install import main as joern_main

        joern_main(rest)
    elif command == "data":
        from tasks.data.build.cli import main as data_main

        data_main(rest)
    elif command == "pretrain":
        from tasks.pretrain.train import main as pretrain_main

        pretrain_main(rest)
    elif command in LIGHTNING_SUBCOMMANDS:
        from tasks.cli import main as lightning_main

        with one_line_errors(command):
            lightning_main(args)
    else:
        print(f"transducer: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    main()
