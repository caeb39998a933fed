"""`benchmarks/count_parameters.py` on the meta device: the BENCHMARKS §2 table comes out of it."""

from __future__ import annotations

from benchmarks.count_parameters import main


def test_parameter_table_of_the_presets_on_codet5p_220m(capsys) -> None:
    main([])
    out = capsys.readouterr().out
    assert "222,882,048 parameters" in out
    rows = {line.split(" | ")[0].strip("| *"): line for line in out.splitlines() if line.startswith("| ")}
    default, small = rows["Transducer default** (this build)"], rows["Transducer small** (this build)"]
    # the presets stay below their targets: LoRA r=8 on q,v (884,736) and the paper's release (30,728)
    assert int(default.split(" | ")[1].replace(",", "")) < 884_736
    assert int(small.split(" | ")[1].replace(",", "")) < 30_728
    assert "| **total** |" in out
