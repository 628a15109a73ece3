"""Answer: a question and its history -> ranked passages, the answer sentence, or abstention.

Owns `QAEngine` (`engine`), the one check and normalisation of a question and its history
(`question`), follow-ups (`followup`), hybrid ranking over any store
(`ranking`), the optional cross-encoder (`rerank`), the candidate sentences and their signals
(`candidates`), the answer sentence (`answer_sentence`), the learned reader that judges it
(`reader`, its features in `reader_features`, its weights in `models/`), abstention
(`abstain`) and the answer contract shared by every surface (`result`).

May import: `qa.config`, `qa.ingest`, `qa.index`. Never the web layer or the tools.
"""
