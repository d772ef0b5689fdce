"""Hugging Face's slow ELECTRA/BERT tokenizer, run from HF's own source files without the `transformers` package.

transformers' models/bert/tokenization_bert.py (BasicTokenizer, WordpieceTokenizer, load_vocab and BertTokenizer's
build_inputs_with_special_tokens / create_token_type_ids_from_sequences; ElectraTokenizer is the same class under
another name) is loaded unchanged as a module of a small in-memory package, so that its relative imports
(`...tokenization_utils`, `...utils`) resolve to stand-ins made here:

  tokenization_utils  `_is_whitespace`, `_is_control`, `_is_punctuation` compiled from HF's own tokenization_utils.py
                      (only those three functions are taken from it); `PreTrainedTokenizer` is an empty base class,
                      since BertTokenizer is never instantiated here
  utils               `logging.get_logger` = Python's logging.getLogger

What PreTrainedTokenizer adds around them for `tokenizer(a, b, truncation=True, max_length=L)` is re-stated below,
each step naming the HF method it follows (transformers 4.27 tokenization_utils.py / tokenization_utils_base.py).
"""
import ast
import importlib.util
import json
import logging
import os
import re
import sys
import types
import unicodedata

_PACKAGE = "hfparity_transformers"
_HELPERS = ("_is_whitespace", "_is_control", "_is_punctuation")


def _helpers_from(tokenization_utils_path):
    """HF's three character-class functions, compiled from their own source (the file may be a leading page of
    tokenization_utils.py: only these top-level functions are parsed, and each must be complete)."""
    with open(tokenization_utils_path, encoding="utf-8") as f:
        source = f.read()
    namespace = {"unicodedata": unicodedata}
    for name in _HELPERS:
        match = re.search(rf"^def {name}\(char\):\n(?:(?:    .*)?\n)+", source, re.M)
        if not match:
            raise SystemExit(f"{tokenization_utils_path}: no complete `def {name}(char)`")
        code = match.group(0)
        ast.parse(code)  # a truncated copy fails here rather than misbehaving later
        exec(compile(code, f"{tokenization_utils_path}:{name}", "exec"), namespace)
    return {name: namespace[name] for name in _HELPERS}


def load_tokenization_bert(tokenization_bert_path, tokenization_utils_path):
    """HF's tokenization_bert.py as a module whose relative imports resolve to the stand-ins described above."""
    name = f"{_PACKAGE}.models.bert.tokenization_bert"
    if name in sys.modules:
        return sys.modules[name]
    for package in (_PACKAGE, f"{_PACKAGE}.models", f"{_PACKAGE}.models.bert"):
        module = types.ModuleType(package)
        module.__path__ = []
        sys.modules[package] = module

    utils = types.ModuleType(f"{_PACKAGE}.utils")
    utils.logging = types.SimpleNamespace(get_logger=logging.getLogger)
    sys.modules[utils.__name__] = utils

    tokenization_utils = types.ModuleType(f"{_PACKAGE}.tokenization_utils")
    tokenization_utils.PreTrainedTokenizer = type("PreTrainedTokenizer", (), {})
    for helper, function in _helpers_from(tokenization_utils_path).items():
        setattr(tokenization_utils, helper, function)
    sys.modules[tokenization_utils.__name__] = tokenization_utils

    spec = importlib.util.spec_from_file_location(name, tokenization_bert_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class HfElectraTokenizer:
    """ElectraTokenizer.from_pretrained(folder) followed by __call__(a, b, truncation=True, max_length=L)."""

    def __init__(self, folder, tokenization_bert_path, tokenization_utils_path):
        self.hf = load_tokenization_bert(tokenization_bert_path, tokenization_utils_path)
        with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        special_map_path = os.path.join(folder, "special_tokens_map.json")
        special = {}
        if os.path.exists(special_map_path):
            with open(special_map_path, encoding="utf-8") as f:
                special = json.load(f)
        # from_pretrained: tokenizer_config.json's kwargs, then special_tokens_map.json's tokens over them.
        kwargs = {k: v for k, v in config.items() if k not in ("tokenizer_class", "model_max_length", "clean_up_tokenization_spaces")}
        kwargs.update(special)
        self.config = config
        self.vocab = self.hf.load_vocab(os.path.join(folder, "vocab.txt"))
        self.do_basic_tokenize = kwargs.get("do_basic_tokenize", True)
        self.unk_token = kwargs.get("unk_token", "[UNK]")
        self.cls_token = kwargs.get("cls_token", "[CLS]")
        self.sep_token = kwargs.get("sep_token", "[SEP]")
        self.special_tokens = [kwargs.get(k, d) for k, d in
                               (("unk_token", "[UNK]"), ("sep_token", "[SEP]"), ("pad_token", "[PAD]"),
                                ("cls_token", "[CLS]"), ("mask_token", "[MASK]"))]
        self.do_lower_case = kwargs.get("do_lower_case", True)
        # BertTokenizer.__init__: the same BasicTokenizer and WordpieceTokenizer, with the same arguments.
        self.basic_tokenizer = self.hf.BasicTokenizer(
            do_lower_case=self.do_lower_case,
            never_split=kwargs.get("never_split"),
            tokenize_chinese_chars=kwargs.get("tokenize_chinese_chars", True),
            strip_accents=kwargs.get("strip_accents"),
        )
        self.wordpiece_tokenizer = self.hf.WordpieceTokenizer(vocab=self.vocab, unk_token=self.unk_token)
        self.model_max_length = config.get("model_max_length")
        # PreTrainedTokenizer.tokenize splits out the special tokens first (tokens_trie, longest match first).
        by_length = sorted(set(self.special_tokens), key=len, reverse=True)
        self._special_split = re.compile("(" + "|".join(re.escape(t) for t in by_length) + ")")

    # --- the properties BertTokenizer's own methods read from `self` ---
    @property
    def cls_token_id(self):
        return self._convert_token_to_id(self.cls_token)

    @property
    def sep_token_id(self):
        return self._convert_token_to_id(self.sep_token)

    def _convert_token_to_id(self, token):
        return self.hf.BertTokenizer._convert_token_to_id(self, token)

    @property
    def all_special_tokens(self):
        return list(dict.fromkeys(self.special_tokens))

    def _tokenize(self, text):
        return self.hf.BertTokenizer._tokenize(self, text)

    def tokenize(self, text):
        """PreTrainedTokenizer.tokenize: lower-case everything but the special tokens (do_lower_case), split the special
        tokens out (stripping the whitespace beside them), and run BertTokenizer._tokenize on the rest."""
        if self.do_lower_case:
            escaped = [re.escape(t) for t in self.all_special_tokens]
            pattern = r"(" + r"|".join(escaped) + r")|" + r"(.+?)"
            text = re.sub(pattern, lambda m: m.groups()[0] or m.groups()[1].lower(), text)
        pieces = [p for p in self._special_split.split(text) if p != ""]
        tokens = []
        for piece in pieces:
            if piece in self.special_tokens:
                tokens.append(piece)
            else:
                tokens.extend(self._tokenize(piece.strip()))
        return tokens

    def encode(self, text_a, text_b, max_length):
        """__call__(a, b, truncation=True, max_length) -> input_ids, token_type_ids, attention_mask."""
        ids = [self._convert_token_to_id(t) for t in self.tokenize(text_a)]
        pair = None if text_b is None else [self._convert_token_to_id(t) for t in self.tokenize(text_b)]
        # PreTrainedTokenizerBase.prepare_for_model / truncate_sequences, strategy longest_first, truncation_side right:
        # one token at a time from the end of the longer sequence (the second on a tie); a single one loses its tail.
        special = 2 if pair is None else 3
        excess = len(ids) + (0 if pair is None else len(pair)) + special - max_length
        if excess > 0:
            if pair is None:
                ids = ids[:-excess]
            else:
                for _ in range(excess):
                    if len(ids) > len(pair):
                        ids = ids[:-1]
                    else:
                        pair = pair[:-1]
        input_ids = self.hf.BertTokenizer.build_inputs_with_special_tokens(self, ids, pair)
        token_type_ids = self.hf.BertTokenizer.create_token_type_ids_from_sequences(self, ids, pair)
        return input_ids, token_type_ids, [1] * len(input_ids)

    def convert_ids_to_tokens(self, ids):
        inverse = getattr(self, "_inverse", None) or {i: t for t, i in self.vocab.items()}
        self._inverse = inverse
        return [inverse.get(i, self.unk_token) for i in ids]
