"""Answer: a question and its history -> ranked passages, the answer sentence, or abstention."""
