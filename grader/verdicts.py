"""How a check says it did not pass or could not run. Raised by checks and by the layer pairing
that checks and the training step share, so it lives below both."""


class CheckFailed(Exception):
    """The student's object ran but its behaviour is wrong; ``feedback`` says how (markdown)."""

    def __init__(self, feedback, fraction=0.0):
        super().__init__(feedback)
        self.feedback, self.fraction = feedback, fraction


class CheckSkipped(Exception):
    """The check cannot run here (no GPU, no reference solutions in a student's copy).

    A skipped check scores 0 of 0: it leaves the total alone instead of costing points, and the
    report says why it did not run.
    """

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason
