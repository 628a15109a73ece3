"""Index: chunks -> embeddings, FAISS vectors and BM25 -> a fingerprinted index on disk.

Owns a build (`build`: plan -> embed what is missing -> write, in that order: `build_plan`,
`embed_missing`), the fingerprint that says when an index is stale (`fingerprint`,
`freshness`), the on-disk format (`store`), the vector index (`vector_index`), BM25 and its
tokens (`lexical`), and the embedders: sentence-transformers (`embedding`), ONNX
(`onnx_embedder`) and the choice between them at query time (`query_embedder`).

May import: `qa.config`, `qa.ingest`. Never the answer path, the web layer or the tools.
"""
