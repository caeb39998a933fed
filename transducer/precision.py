"""Training precision chosen by hardware: bf16 autocast only where the device executes bf16 natively.

On a CPU without AVX-512-BF16 or AMX (many AVX2-only cloud CPUs), bf16 autocast emulates every matrix product and
a training step is 20-27x slower than in fp32; on such a machine ``precision: auto`` trains in fp32. It chooses
``bf16-mixed`` on a CUDA GPU that supports bf16 and on a CPU whose flags (``/proc/cpuinfo``) include
``avx512_bf16`` or ``amx_bf16``, and ``32-true`` everywhere else, and says which it chose and why in one line.

A frozen backbone stored in bf16 (``backbone.frozen_dtype: bfloat16``) runs only under autocast, so with that
lever ``auto`` chooses ``bf16-mixed`` whatever the hardware, and its reason says when that will be slow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

AUTO = "auto"
BF16 = "bf16-mixed"
FP32 = "32-true"
#: CPU flags (as ``/proc/cpuinfo`` names them) of instructions that compute in bf16 natively
NATIVE_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class PrecisionChoice:
    """A Lightning precision and why it was chosen."""

    precision: str
    reason: str

    def describe(self) -> str:
        """One line for the run log, e.g. ``precision: 32-true (auto: this CPU has no native bf16 ...)``."""
        return f"precision: {self.precision} ({self.reason})"


def _cpuinfo_field(name: str, cpuinfo: Path) -> str | None:
    """The value of the first ``name`` line of ``cpuinfo`` (``None`` where the file or the line does not exist)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(name) and ":" in line:
            return line.split(":", 1)[1].strip()
    return None


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags from ``cpuinfo`` (empty where the file does not exist, e.g. on macOS)."""
    return frozenset((_cpuinfo_field("flags", cpuinfo) or "").split())


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name from ``cpuinfo`` (``"unknown CPU"`` where the file does not say, e.g. on macOS)."""
    return _cpuinfo_field("model name", cpuinfo) or "unknown CPU"


def native_bf16(device: str, flags: Iterable[str] | None = None) -> tuple[bool, str]:
    """Whether ``device`` (``"cpu"`` or ``"cuda"``) computes in bf16 natively, and the evidence in words.

    ``flags``: the CPU's feature flags (default: read from ``/proc/cpuinfo``); tests fake them.
    """
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            return False, "no CUDA device is available"
        name = torch.cuda.get_device_name()
        if torch.cuda.is_bf16_supported(including_emulation=False):
            return True, f"{name} supports bf16"
        return False, f"{name} has no native bf16"
    if device != "cpu":
        return False, f"bf16 support on {device!r} is not detected by transducer-tuning"
    present = sorted(set(NATIVE_BF16_CPU_FLAGS) & set(cpu_flags() if flags is None else flags))
    if present:
        return True, f"this CPU has {' and '.join(present)}"
    return False, (f"this CPU has no native bf16 (neither {' nor '.join(NATIVE_BF16_CPU_FLAGS)}), where bf16 "
                   "autocast is 20-27x slower than fp32")


def resolve_device(accelerator: str | None) -> str:
    """The device type an accelerator setting trains on: ``"cuda"`` for ``gpu``/``cuda`` (and for ``auto`` when
    a CUDA device is available), else the setting itself (``"cpu"`` for ``auto`` without CUDA)."""
    accelerator = str(accelerator or AUTO)
    if accelerator in ("gpu", "cuda"):
        return "cuda"
    if accelerator == AUTO:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return accelerator


def resolve_precision(precision: str | int | None, accelerator: str | None = AUTO, *,
                      frozen_dtype: str | None = None, flags: Iterable[str] | None = None) -> PrecisionChoice:
    """The Lightning precision to train with: ``precision`` itself unless it is ``"auto"`` (or None), which becomes
    ``bf16-mixed`` where the device computes bf16 natively or the frozen backbone is stored in a low precision
    (``frozen_dtype``, which runs only under autocast), and ``32-true`` otherwise."""
    if precision not in (None, AUTO):
        return PrecisionChoice(str(precision), "set in the config")
    device = resolve_device(accelerator)
    native, evidence = native_bf16(device, flags)
    if native:
        return PrecisionChoice(BF16, f"auto: {evidence}")
    if frozen_dtype is not None:
        return PrecisionChoice(BF16, f"auto: backbone.frozen_dtype {frozen_dtype} runs only under autocast, although "
                                     f"{evidence}")
    return PrecisionChoice(FP32, f"auto: {evidence}")
