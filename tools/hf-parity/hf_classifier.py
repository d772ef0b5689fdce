"""Hugging Face's ElectraForSequenceClassification (transformers' modeling_electra.py, loaded by the pytorch-baseline
tool's hfstub) with the weights of a downloaded folder's model.safetensors, run in eval mode on given inputs."""
import json
import os
import sys

import torch


def load_classifier(folder, hf_electra_py, baseline_dir):
    """The folder's config.json as ElectraConfig (num_labels = len(id2label), as PretrainedConfig derives it) and its
    model.safetensors loaded strictly: every HF parameter must come from the file and every tensor in it must be used."""
    sys.path.insert(0, baseline_dir)
    from hfstub.loader import load_modeling_electra
    from hfstub.models.electra.configuration_electra import ElectraConfig
    from safetensors_io import load_file

    modeling = load_modeling_electra(hf_electra_py)
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        raw = json.load(f)
    config = ElectraConfig.from_dict(raw)
    config.id2label = {int(k): v for k, v in raw.get("id2label", {"0": "LABEL_0", "1": "LABEL_1"}).items()}
    config.num_labels = len(config.id2label)
    model = modeling.ElectraForSequenceClassification(config)
    weights = load_file(os.path.join(folder, "model.safetensors"))
    own = model.state_dict()
    # position_ids is a buffer HF builds itself (arange), not a weight; a folder need not carry it.
    missing = sorted(k for k in own if k not in weights and not k.endswith("position_ids"))
    unexpected = sorted(k for k in weights if k not in own)
    wrong_shape = sorted(k for k in weights if k in own and tuple(own[k].shape) != tuple(weights[k].shape))
    if missing or unexpected or wrong_shape:
        raise SystemExit(f"{folder}/model.safetensors does not fit HF's ElectraForSequenceClassification: "
                         f"missing {missing}, unexpected {unexpected}, wrong shape {wrong_shape}")
    model.load_state_dict({k: v for k, v in weights.items()}, strict=False)
    model.eval()
    return model, config


def predict_logits(model, rows, batch_size=64):
    """rows: (input_ids, token_type_ids, attention_mask) lists, unpadded. Batches are padded with id 0 / mask 0 to
    their longest row, as the HF tokenizer's padding=True would; returns one float32 logits list per row."""
    out = []
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            width = max(len(r[0]) for r in chunk)

            def pad(values):
                return values + [0] * (width - len(values))

            ids = torch.tensor([pad(r[0]) for r in chunk], dtype=torch.long)
            types = torch.tensor([pad(r[1]) for r in chunk], dtype=torch.long)
            mask = torch.tensor([pad(r[2]) for r in chunk], dtype=torch.long)
            logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
            out.extend(logits.float().tolist())
    return out
