"""``precision: auto``: bf16-mixed only where the device computes bf16 natively (CPU flags faked both ways)."""

from __future__ import annotations

from pathlib import Path

import pytest

from transducer.precision import BF16, FP32, cpu_flags, native_bf16, resolve_precision

AVX2_ONLY = ("fpu", "sse4_2", "avx", "avx2", "fma")  # a common cloud CPU: no bf16 instructions
WITH_AVX512_BF16 = (*AVX2_ONLY, "avx512f", "avx512_bf16")
WITH_AMX = (*AVX2_ONLY, "amx_tile", "amx_bf16")


def test_auto_is_fp32_on_a_cpu_without_native_bf16() -> None:
    choice = resolve_precision("auto", "cpu", flags=AVX2_ONLY)
    assert choice.precision == FP32
    assert "no native bf16" in choice.reason and "avx512_bf16" in choice.reason


@pytest.mark.parametrize("flags, evidence", [(WITH_AVX512_BF16, "avx512_bf16"), (WITH_AMX, "amx_bf16")])
def test_auto_is_bf16_on_a_cpu_with_native_bf16(flags: tuple[str, ...], evidence: str) -> None:
    choice = resolve_precision("auto", "cpu", flags=flags)
    assert choice.precision == BF16
    assert evidence in choice.describe() and choice.describe().startswith(f"precision: {BF16}")


def test_an_explicit_precision_is_kept_whatever_the_hardware() -> None:
    assert resolve_precision("bf16-mixed", "cpu", flags=AVX2_ONLY).precision == "bf16-mixed"
    assert resolve_precision("32-true", "cpu", flags=WITH_AMX).precision == "32-true"


def test_a_bf16_frozen_backbone_gets_autocast_and_the_reason_says_it_will_be_slow() -> None:
    choice = resolve_precision("auto", "cpu", frozen_dtype="bfloat16", flags=AVX2_ONLY)
    assert choice.precision == BF16
    assert "frozen_dtype bfloat16" in choice.reason and "no native bf16" in choice.reason


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 amx_bf16\n\nprocessor\t: 1\n")
    assert cpu_flags(cpuinfo) == {"fpu", "avx2", "amx_bf16"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_cuda_without_a_device_is_not_native() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    native, reason = native_bf16("cuda")
    assert not native and "no CUDA device" in reason
