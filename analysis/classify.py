"""The trained classifiers beyond sentiment: emotion, false information and the line of work
(department) a message belongs to. All three read the shared features of a batch
(:mod:`analysis.features`), so they add three sparse-dense products to the analysis, not three
passes over the text.

* **Emotion** (SMP2020-EWECT: happy, angry, sad, fear, surprise, neutral): a multinomial logistic
  regression gives the five classes the development data holds; *surprise* has no labelled rows
  there, so it comes from configured cue words (``analysis.yaml: emotion.surprise_terms``), scored
  ``surprise_score`` and renormalised with the others.
* **False information**: the rumour model's probability; :mod:`analysis.pipeline` combines it with
  the wording rules of the ``false_info`` priority and the link to an official rebuttal.
* **Department**: the first-level category of a message board (城乡建设, 环境保护 …) with the
  model's probability as confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis import features
from analysis.matching import TermMatcher
from yuqing.config.analysis import AnalysisConfig
from yuqing.models import EMOTIONS, Department, Emotion


@dataclass(frozen=True)
class Classified:
    emotion: Emotion
    rumour_score: float
    department: Department


class Classifiers:
    def __init__(self, settings: AnalysisConfig) -> None:
        self.settings = settings
        self.surprise = TermMatcher(settings.emotion.surprise_terms)

    def classify(self, texts: list[str], feats: features.Features) -> list[Classified]:
        if not texts:
            return []
        emo, rum, dep = features.model("emotion"), features.model("rumor"), features.model("department")
        p_emo, p_rum, p_dep = emo.proba(feats), rum.proba(feats), dep.proba(feats)
        rumour_col = rum.labels.index("rumor")
        surprise_score = self.settings.emotion.surprise_score
        # Python lists once per batch: indexing a numpy array element by element costs more than the models.
        emo_rows, rum_rows, dep_rows = p_emo.tolist(), p_rum.tolist(), p_dep.tolist()
        out: list[Classified] = []
        for text, emo_row, rum_row, dep_row in zip(texts, emo_rows, rum_rows, dep_rows, strict=True):
            scores = dict(zip(emo.labels, emo_row, strict=True))
            cue = next(self.surprise.finditer(text), None) is not None
            scores["surprise"] = surprise_score if cue else 0.0
            total = sum(scores.values())
            scores = {k: round(scores.get(k, 0.0) / total, 4) for k in EMOTIONS}
            label = max(EMOTIONS, key=scores.__getitem__)
            j = max(range(len(dep_row)), key=dep_row.__getitem__)  # the first of equal maxima, as argmax
            out.append(Classified(
                emotion=Emotion(label=label, scores=scores),  # type: ignore[arg-type]
                rumour_score=round(rum_row[rumour_col], 4),
                department=Department(label=dep.labels[j], confidence=round(dep_row[j], 4)),
            ))
        return out
