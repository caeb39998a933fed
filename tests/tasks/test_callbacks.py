"""The loss-curve plot: title, losses, the monitored validation metric and the best checkpoint's step."""

from __future__ import annotations

from pathlib import Path

import matplotlib.figure

from tasks.callbacks import plot_loss_curve


def test_loss_curve_shows_metric_best_step_and_title(tmp_path: Path, monkeypatch) -> None:
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("step,train_loss,val_loss,val_bleu\n1,3.0,,\n2,2.5,,\n2,,2.8,10.0\n4,2.0,,\n4,,2.6,12.5\n")
    saved = []
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda figure, *a, **k: saved.append(figure))
    plot_loss_curve(metrics, tmp_path / "curve.png", "val_bleu", best_step=4, title="transducer on code_translation")

    (figure,) = saved
    loss_axis, metric_axis = figure.axes
    assert loss_axis.get_title() == "transducer on code_translation"
    lines = {line.get_label(): line for axis in figure.axes for line in axis.get_lines()}
    assert list(lines["train_loss"].get_xdata()) == [1, 2, 4] and list(lines["val_loss"].get_ydata()) == [2.8, 2.6]
    assert list(lines["val_bleu"].get_ydata()) == [10.0, 12.5] and metric_axis.get_ylabel() == "val_bleu"
    assert list(lines["best checkpoint (step 4)"].get_xdata()) == [4, 4]
