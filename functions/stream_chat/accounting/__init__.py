"""What each answer and each refusal leaves behind: its record, its metrics, its cost."""
