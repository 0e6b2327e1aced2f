"""Where the trainer's per-epoch figures go: a live plot in a notebook, plain lines in a terminal."""

import sys


def in_notebook():
    """True inside a Jupyter kernel (where a figure can be redrawn in place)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except AttributeError:
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class TextBoard:
    """One line per epoch, for terminals, logs and CI."""

    def __init__(self, stream=None):
        self.stream = stream

    def draw(self, history, max_epochs):
        row = history[-1]
        figures = "  ".join(f"{key} {value:.4f}" for key, value in row.items() if key not in ("epoch", "seconds"))
        print(f"epoch {row['epoch']}/{max_epochs}  {figures}  ({row['seconds']:.1f}s)",
              file=self.stream or sys.stdout, flush=True)

    def close(self):
        pass


class PlotBoard:
    """The book's animated curves: every metric against epochs, redrawn in the same output cell."""

    def __init__(self, figsize=(4.5, 3)):
        self.figsize = figsize
        self.handle = None
        self.fig = None

    def draw(self, history, max_epochs):
        import matplotlib.pyplot as plt
        from IPython import display

        if self.fig is None:
            self.fig, self.ax = plt.subplots(figsize=self.figsize)
            plt.close(self.fig)  # shown through display(), not through the inline backend
        self.ax.cla()
        epochs = [row["epoch"] for row in history]
        for key in history[-1]:
            if key in ("epoch", "seconds"):
                continue
            style = "--" if key.startswith("val") else "-"
            self.ax.plot(epochs, [row.get(key) for row in history], style, marker=".", label=key)
        self.ax.set_xlim(0.5, max(max_epochs, 1) + 0.5)
        self.ax.set_xlabel("epoch")
        self.ax.grid(True, alpha=0.3)
        self.ax.legend()
        if self.handle is None:
            self.handle = display.display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)

    def close(self):
        pass


def default_board():
    return PlotBoard() if in_notebook() else TextBoard()
