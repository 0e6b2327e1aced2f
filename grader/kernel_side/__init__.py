"""Code that runs inside the student's kernel. It is sent there as text, never imported there."""
