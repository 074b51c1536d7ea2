"""Ten abstracts written for this test in wording unlike the dev set: a guard against overfitting.

Each follows shared/spec/extraction.md; the expected tuples were written with the abstract,
before running the extractor on it.
"""

from __future__ import annotations

import pytest

from kb.extraction.extract import extract_article
from kb.models import AbstractSection, Article, PublicationType
from tests.support.extract import CASE_REPORT, tuples

JOURNAL = (PublicationType(name="Journal Article"),)


def art(
    title: str, *sections: tuple[str | None, str], types: tuple[PublicationType, ...] = CASE_REPORT
) -> Article:
    parts = tuple(AbstractSection(label=c, category=c, text=t) for c, t in sections)
    return Article(pmid="1", title=title, abstract=parts, publication_types=types)


def p(role: str, concept: str, polarity: str = "present") -> tuple[str, str, str]:
    return (role, concept, polarity)


UNSEEN = {
    "thoracic-dialysis": (
        art(
            "Thoracic epidural tumoural calcinosis in a haemodialysis patient: case report",
            ("BACKGROUND", "Tumoural calcinosis is a rare complication of end-stage kidney "
             "disease. Spinal lesions have seldom been described."),
            ("METHODS", "A 48-year-old man on haemodialysis for 10 years complained of "
             "progressive paraparesis and numbness below the nipple line. MRI of the thoracic "
             "spine demonstrated an epidural mass at T7-T8 that was hypointense on T1 and T2 "
             "sequences and did not enhance after contrast. CT showed a dense calcified lesion "
             "with a fluid-fluid level. Serum phosphate was elevated, and PTH was raised."),
            ("RESULTS", "He underwent T7-T8 laminectomy and complete removal of the lesion. "
             "Histology confirmed tumoural calcinosis. The paraparesis resolved within three "
             "months and there was no recurrence at two years."),
            ("CONCLUSIONS", "Tumoural calcinosis should be considered in dialysis patients "
             "presenting with spinal cord compression."),
        ),
        ("case-report", 1, [(48, "male")], ("T7", "T8")),
        {
            p("lesion", "lesion/tumoral-calcinosis"), p("site", "region/thoracic"),
            p("site", "site/extradural"), p("associated", "condition/hemodialysis"),
            p("associated", "condition/hyperphosphatemia"),
            p("associated", "condition/hyperparathyroidism"), p("finding", "finding/mass-lesion"),
            p("finding", "finding/t1-hypointense"), p("finding", "finding/t2-hypointense"),
            p("finding", "finding/t1-t2-identical-signal"),
            p("finding", "finding/contrast-enhancement", "absent"),
            p("finding", "finding/ct-calcification"), p("finding", "finding/sedimentation-sign"),
            p("symptom", "symptom/weakness"), p("symptom", "symptom/sensory-disturbance"),
            p("treatment", "treatment/laminectomy"), p("treatment", "treatment/surgical-excision"),
            p("outcome", "outcome/improvement"), p("outcome", "outcome/recurrence", "absent"),
        },
    ),
    "cervical-series": (
        art(
            "Cervical calcific pseudotumours: three cases",
            (None, "Calcifying pseudotumours of the neuraxis are uncommon lesions that may "
             "mimic meningioma or chondrosarcoma. We present three patients with masses of the "
             "upper cervical spine. All had neck pain, and two reported arm numbness. "
             "Radiographs demonstrated faint radiopaque densities at C1-C2 in two cases. On CT "
             "the lesions were multilobulated and heavily calcified. Preoperatively, a "
             "chondrosarcoma was suspected in one patient. All lesions were excised through a "
             "posterior approach with occipitocervical fusion. Pathology showed calcifying "
             "pseudotumour in every case. No patient had recurrence after a mean follow-up of "
             "4 years."),
        ),
        ("case-series", 3, [], ("C1", "C2")),
        {
            p("lesion", "lesion/tumoral-calcinosis"), p("site", "region/cervical"),
            p("site", "region/craniovertebral-junction"),
            p("finding", "finding/radiograph-calcification"),
            p("finding", "finding/ct-calcification"), p("finding", "finding/lobulated-mass"),
            p("symptom", "symptom/neck-pain"), p("symptom", "symptom/sensory-disturbance"),
            p("misdiagnosis", "condition/chondrosarcoma"),
            p("treatment", "treatment/surgical-excision"),
            p("treatment", "treatment/spinal-fusion"),
            p("outcome", "outcome/recurrence", "absent"),
        },
    ),
    "cppd-cohort": (
        art(
            "Calcium pyrophosphate crystal deposition in the lumbar ligamentum flavum: a "
            "retrospective analysis",
            ("BACKGROUND", "Deposition of calcium pyrophosphate crystals in the yellow ligament "
             "is a recognised cause of lumbar canal stenosis in the elderly."),
            ("METHODS", "We reviewed the charts of 412 patients operated on for lumbar spinal "
             "stenosis between 2010 and 2020; histology revealed CPPD deposits in the ligamentum "
             "flavum of 37 of them."),
            ("RESULTS", "The mean age of the 37 patients was 71 years. Neurogenic claudication "
             "and sciatica were the commonest complaints. Deposits were most frequent at L4-L5. "
             "On MRI the deposits were isointense to muscle on T1-weighted images and "
             "hypointense on T2-weighted images. Calcification of the ligament was evident on "
             "preoperative CT in 21 patients. All were treated by decompression, with good "
             "relief of leg pain in most."),
            ("CONCLUSIONS", "CPPD deposition in the ligamentum flavum is common in elderly "
             "patients with lumbar stenosis."),
            types=JOURNAL,
        ),
        ("retrospective-study", 37, [], ("L4", "L5")),
        {
            p("lesion", "lesion/calcium-pyrophosphate-deposition"), p("site", "region/lumbar"),
            p("site", "site/ligamentum-flavum"), p("associated", "condition/spinal-stenosis"),
            p("symptom", "symptom/radiculopathy"), p("finding", "finding/t1-isointense"),
            p("finding", "finding/t2-hypointense"), p("finding", "finding/ct-calcification"),
            p("treatment", "treatment/decompression"), p("outcome", "outcome/improvement"),
        },
    ),
    "review": (
        art(
            "Calcific masses of the spine: a narrative review",
            (None, "Tumoral calcinosis, calcium pyrophosphate deposition and hydroxyapatite "
             "deposition can all present as calcified spinal masses. Tumoral calcinosis "
             "typically affects patients receiving dialysis and is often misdiagnosed as a "
             "malignant neoplasm. On MRI these lesions are usually hypointense on T2-weighted "
             "sequences. We review the imaging features, histology and treatment of these "
             "entities, and propose a diagnostic algorithm."),
            types=(PublicationType(name="Review"),),
        ),
        ("review", None, [], ()),
        None,
    ),
    "crest": (
        art(
            "Retro-odontoid calcinosis in CREST syndrome",
            ("BACKGROUND", "Calcinosis cutis is a hallmark of limited cutaneous systemic "
             "sclerosis, but involvement of the craniovertebral junction is rarely reported."),
            ("METHODS", "A 66-year-old female with CREST syndrome presented with occipital "
             "headache and neck pain without neurological deficit. Computed tomography revealed "
             "a calcified mass posterior to the dens, and MRI showed no cord compression. "
             "Laboratory investigations, including serum calcium and phosphate, were within "
             "normal limits. She was treated conservatively with analgesics and a cervical "
             "collar."),
            ("CONCLUSIONS", "Her symptoms improved over six months and imaging remained stable. "
             "Retro-odontoid calcinosis should be included in the differential diagnosis of "
             "craniovertebral masses in patients with systemic sclerosis."),
        ),
        ("case-report", 1, [(66, "female")], ("C2",)),
        {
            p("lesion", "lesion/dystrophic-calcification"), p("site", "site/odontoid"),
            p("site", "region/craniovertebral-junction"), p("site", "region/cervical"),
            p("associated", "condition/crest-syndrome"),
            p("associated", "condition/systemic-sclerosis"),
            p("associated", "condition/hypercalcemia", "absent"),
            p("associated", "condition/hyperphosphatemia", "absent"),
            p("finding", "finding/ct-calcification"),
            p("finding", "finding/cord-compression", "absent"), p("symptom", "symptom/neck-pain"),
            p("treatment", "treatment/conservative-management"),
            p("outcome", "outcome/improvement"),
        },
    ),
    "intradural": (
        art(
            "Intradural calcified mass of the thoracic spine mimicking a meningioma",
            (None, "Calcified intradural lesions are most often meningiomas. A 52-year-old "
             "woman with rheumatoid arthritis (RA) developed gait disturbance and leg weakness "
             "over six months. Magnetic resonance imaging showed an intradural extramedullary "
             "lesion at the level of the ninth thoracic vertebra, markedly hypointense on all "
             "sequences, compressing the cord. A calcified meningioma was favoured "
             "preoperatively. At surgery a chalky, calcified mass was removed en bloc. "
             "Histological examination showed tumoral calcinosis without any features of "
             "neoplasia. RA was considered a possible predisposing factor."),
        ),
        ("case-report", 1, [(52, "female")], ("T9",)),
        {
            p("lesion", "lesion/tumoral-calcinosis"), p("site", "site/intradural"),
            p("site", "region/thoracic"), p("associated", "condition/rheumatoid-arthritis"),
            p("symptom", "symptom/weakness"), p("finding", "finding/cord-compression"),
            p("misdiagnosis", "condition/meningioma"),
            p("treatment", "treatment/surgical-excision"),
        },
    ),
    "sacral-hadd": (
        art(
            "Acute sacral pain from hydroxyapatite deposition: an unusual presentation",
            ("METHODS", "An elderly man was admitted with acute low back pain radiating to the "
             "buttock. Plain films of the pelvis were unremarkable. CT of the sacrum showed a "
             "small amorphous calcific focus adjacent to the S1 neural foramen. Infection and "
             "metastatic disease were considered, but the bone scan and blood tests were "
             "normal. The pain settled within ten days of oral anti-inflammatory drugs."),
            ("CONCLUSIONS", "Hydroxyapatite deposition disease is a self-limiting condition "
             "that rarely affects the spine."),
        ),
        ("case-report", 1, [(None, "male")], ("S1",)),
        {
            p("lesion", "lesion/hydroxyapatite-deposition"), p("site", "region/sacral"),
            p("site", "site/intervertebral-foramen"),
            p("finding", "finding/radiograph-calcification", "absent"),
            p("finding", "finding/ct-calcification"), p("misdiagnosis", "condition/infection"),
            p("misdiagnosis", "condition/metastasis"), p("symptom", "symptom/back-pain"),
            p("treatment", "treatment/conservative-management"),
        },
    ),
    "recurrence": (
        art(
            "Recurrent tumoral calcinosis of the lumbar facet joint after excision",
            (None, "A 38-year-old male receiving peritoneal dialysis (PD) presented with right "
             "sciatica. MRI revealed a lobulated mass arising from the right L5-S1 facet joint "
             "with heterogeneous signal and rim enhancement. The lesion was excised and the "
             "sciatica resolved. Eighteen months later the mass recurred at the same site in "
             "association with poorly controlled hyperphosphataemia. After introduction of "
             "sevelamer and more frequent PD exchanges, the recurrent mass regressed without "
             "further surgery. Medical optimisation of the calcium-phosphate balance should "
             "precede surgery in uraemic tumoral calcinosis."),
        ),
        ("case-report", 1, [(38, "male")], ("L5", "S1")),
        {
            p("lesion", "lesion/tumoral-calcinosis"), p("site", "region/lumbar"),
            p("site", "region/sacral"), p("site", "site/facet-joint"),
            p("associated", "condition/peritoneal-dialysis"),
            p("associated", "condition/hyperphosphatemia"), p("finding", "finding/lobulated-mass"),
            p("finding", "finding/mass-lesion"), p("finding", "finding/heterogeneous-signal"),
            p("finding", "finding/peripheral-enhancement"), p("symptom", "symptom/radiculopathy"),
            p("treatment", "treatment/surgical-excision"),
            p("treatment", "treatment/phosphate-binder"), p("outcome", "outcome/improvement"),
            p("outcome", "outcome/recurrence"),
        },
    ),
    "imaging-cohort": (
        art(
            "Imaging of spinal tumoral calcinosis: a review of 12 cases",
            ("METHODS", "Imaging studies of twelve patients with histologically proven tumoral "
             "calcinosis of the spine treated at our institution between 2005 and 2019 were "
             "retrospectively reviewed."),
            ("RESULTS", "Eight lesions were cervical, three thoracic and one lumbar. On CT, all "
             "lesions were calcified and ten showed a lobulated contour. On MRI, lesions were "
             "predominantly low in signal on T2-weighted images, and enhancement after "
             "gadolinium was seen in four. Five patients were receiving haemodialysis."),
            ("CONCLUSIONS", "Spinal tumoral calcinosis should be suspected when a calcified "
             "paraspinal mass is seen in a dialysis patient."),
            types=JOURNAL,
        ),
        ("retrospective-study", 12, [], ()),
        {
            p("lesion", "lesion/tumoral-calcinosis"), p("site", "region/cervical"),
            p("site", "region/thoracic"), p("site", "region/lumbar"),
            p("finding", "finding/ct-calcification"), p("finding", "finding/lobulated-mass"),
            p("finding", "finding/t2-hypointense"), p("finding", "finding/contrast-enhancement"),
            p("associated", "condition/hemodialysis"),
        },
    ),
    "cppd-thoracic": (
        art(
            "Thoracic myelopathy caused by calcium pyrophosphate dihydrate crystal deposition "
            "mimicking ossification of the ligamentum flavum",
            (None, "A 74-year-old man presented with progressive spastic gait and numbness of "
             "both legs. CT demonstrated nodular calcification of the ligamentum flavum from T10 "
             "to T12, initially interpreted as ossification of the ligamentum flavum. MRI showed "
             "severe compression of the thoracic cord at T11-T12. Posterior decompression with "
             "laminectomy from T10 to T12 was performed. Histology revealed calcium "
             "pyrophosphate crystals, and no malignancy was found. Postoperatively, his "
             "myelopathy improved considerably."),
        ),
        ("case-report", 1, [(74, "male")], ("T10", "T11", "T12")),
        {
            p("lesion", "lesion/calcium-pyrophosphate-deposition"), p("site", "region/thoracic"),
            p("site", "site/ligamentum-flavum"), p("symptom", "symptom/myelopathy"),
            p("symptom", "symptom/sensory-disturbance"), p("finding", "finding/ct-calcification"),
            p("finding", "finding/cord-compression"),
            p("misdiagnosis", "condition/ossified-ligament"),
            p("treatment", "treatment/decompression"), p("treatment", "treatment/laminectomy"),
            p("outcome", "outcome/improvement"),
        },
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_unseen_abstract_gives_its_study_levels_and_patient_tuples(name: str) -> None:
    article, (design, n, patients, levels), expected = UNSEEN[name]
    extraction = extract_article(article)
    assert extraction.study.design == design
    assert extraction.study.n_patients == n
    assert [(x.age, x.sex) for x in extraction.study.patients] == patients
    assert extraction.levels == levels
    if expected is not None:
        assert tuples(extraction) == expected


def test_a_review_reports_its_general_statements_as_background_only() -> None:
    article = UNSEEN["review"][0]
    extraction = extract_article(article)
    general = {
        p("associated", "condition/hemodialysis"),
        p("misdiagnosis", "condition/malignant-neoplasm"),
        p("finding", "finding/t2-hypointense"),
    }
    assert general <= tuples(extraction, "background")
    assert not general & tuples(extraction)
