"""Reading mails: names, encodings, parts, forwards, auto-replies (tracker.ingest.parse)."""

from __future__ import annotations

import hashlib

import pytest

from tests.files import make_pdf
from tests.ingest.world import CORPUS, make_mail
from tracker.ingest import parse


@pytest.mark.parametrize("written, expected", [
    ("MARTIN Léa", ("Léa", "Martin")),
    ("Léa MARTIN", ("Léa", "Martin")),
    ("Léa Martin", ("Léa", "Martin")),
    ("Martin, Léa", ("Léa", "Martin")),
    ("léa martin", ("Léa", "Martin")),
    ("LEA MARTIN", ("Lea", "Martin")),
    ("Jean-Pierre de la Fontaine", ("Jean-Pierre", "de la Fontaine")),
    ("Anne-Sophie DUPONT-MOREAU", ("Anne-Sophie", "Dupont-Moreau")),
    ("Marie Claire Dubois", ("Marie Claire", "Dubois")),
    ('"Dupont, Jeanne"', ("Jeanne", "Dupont")),
    ("Madonna", ("", "Madonna")),
    ("", ("", "")),
])
def test_split_name(written, expected):
    assert parse.split_name(written) == expected


@pytest.mark.parametrize("address, texts, expected", [
    ("lea.martin@example.com", ["Cordialement,\nLéa Martin"], ("Léa", "Martin")),
    ("lea.martin@example.com", ["Cordialement"], ("Lea", "Martin")),
    ("martin.lea@example.com", ["MARTIN Léa"], ("Léa", "Martin")),
    ("lmartin92@example.com", ["Bien à vous, Léa Martin"], ("Léa", "Martin")),
    ("noemie_dupre@example.com", ["CV Noémie Dupré.pdf"], ("Noémie", "Dupré")),
    ("contact@example.com", ["Bonjour"], ("", "Contact")),
])
def test_name_from_address(address, texts, expected):
    assert parse.name_from_address(address, texts) == expected


def test_message_key_is_the_message_id_else_a_hash_of_the_bytes():
    with_id = make_mail(subject="x", message_id="<abc.123@example.com>")
    assert parse.message_key(with_id) == "<abc.123@example.com>"
    without = make_mail(subject="x", message_id=None)
    assert parse.message_key(without) == "sha256:" + hashlib.sha256(without).hexdigest()
    # An absurdly long Message-ID still fits the column, and stays stable.
    long_id = make_mail(subject="x", message_id="<" + "a" * 400 + "@example.com>")
    key = parse.message_key(long_id)
    assert key.startswith("mid-sha256:") and len(key) <= 255
    assert parse.message_key(long_id) == key


def test_rfc2047_subject_and_name_in_iso_8859_1():
    raw = (b"From: =?iso-8859-1?Q?No=E9mie_DUPR=C9?= <Noemie.Dupre@Example.com>\n"
           b"To: recrutement@example.org\n"
           b"Subject: =?ISO-8859-1?Q?Candidature_charg=E9e_de_mission?=\n\nBonjour\n")
    parsed = parse.parse_mail(raw)
    assert parsed.subject == "Candidature chargée de mission"
    assert (parsed.sender.first_name, parsed.sender.last_name) == ("Noémie", "Dupré")
    assert parsed.sender.address == "noemie.dupre@example.com"


def test_rfc2231_file_names_utf8_and_latin1_with_continuations():
    parsed = parse.parse_mail((CORPUS / "30-rfc2231-latin1-continuations.eml").read_bytes())
    assert [a.filename for a in parsed.attachments] == ["CV Élodie Guérin.pdf",
                                                         "Lettre élodie.docx"]
    parsed = parse.parse_mail((CORPUS / "03-thunderbird-name-in-brackets.eml").read_bytes())
    assert parsed.attachments[1].filename == "Lettre de motivation – Hugo.odt"


def test_quoted_printable_and_base64_bodies():
    raw = (b"From: a@example.com\nSubject: s\nMIME-Version: 1.0\n"
           b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
           + __import__("base64").encodebytes("Été à Tours\n".encode()))
    assert parse.parse_mail(raw).text == "Été à Tours"
    raw = (b"From: a@example.com\nSubject: s\nMIME-Version: 1.0\n"
           b"Content-Type: text/plain; charset=iso-8859-1\n"
           b"Content-Transfer-Encoding: quoted-printable\n\n=C9t=E9 =E0 Tours=\n, suite\n")
    assert parse.parse_mail(raw).text == "Été à Tours, suite"


def test_html_only_body_becomes_text_without_tags_or_scripts():
    html = ("<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
            "<p>Bonjour,</p><p>Je joins mon CV&nbsp;: &laquo;&nbsp;stage&nbsp;&raquo;.</p>"
            "<div>Léa<br>06 12 34 56 78</div></body></html>")
    assert parse.html_to_text(html) == ("Bonjour,\n\nJe joins mon CV : « stage ».\n\nLéa\n"
                                        "06 12 34 56 78")
    parsed = parse.parse_mail((CORPUS / "06-iphone-html-only.eml").read_bytes())
    assert "<" not in parsed.text and "Envoyé de mon iPhone" not in parsed.text
    assert parsed.text.startswith("Bonjour,")


def test_inline_and_signature_images_are_ignored_attached_images_kept():
    apple = parse.parse_mail((CORPUS / "05-apple-mail-nested.eml").read_bytes())
    assert [a.filename for a in apple.attachments] == ["CV Théo Garnier.pdf",
                                                        "Lettre de motivation.pdf"]
    assert apple.ignored == ["logo-ecole.png"]
    outlook = parse.parse_mail((CORPUS / "33-outlook-signature-images.eml").read_bytes())
    assert outlook.ignored == ["image001.png"]
    assert "[cid:" not in outlook.text
    photo = parse.parse_mail((CORPUS / "37-photo-and-diploma.eml").read_bytes())
    assert "photo.jpg" in [a.filename for a in photo.attachments]


def test_winmail_dat_is_flagged_unreadable():
    parsed = parse.parse_mail((CORPUS / "27-outlook-winmail-dat.eml").read_bytes())
    assert [(a.filename, a.unreadable) for a in parsed.attachments] == [("winmail.dat", "tnef")]


@pytest.mark.parametrize("name, sender, subject", [
    ("09-gmail-forwarded-inline.eml", "yasmine.benali@example.com",
     "Candidature chargé de mission conseils citoyens"),
    ("10-outlook-forwarded-rfc822.eml", "theo.robert@example.net",
     "Candidature alternance communication"),
    ("11-thunderbird-forwarded-inline-fr.eml", "manon.petit@example.com",
     "Candidature stagiaire démocratie permanente"),
])
def test_forwarded_mail_the_inner_message_is_the_application(name, sender, subject):
    parsed = parse.parse_mail((CORPUS / name).read_bytes())
    assert parsed.forwarded
    assert parsed.sender.address == sender
    assert parsed.subject == subject
    assert parsed.forwarded_by is not None and parsed.forwarded_by.address != sender
    # The colleague's own words are not the candidate's letter.
    assert "transfère" not in parsed.text and "Arrivée sur" not in parsed.text
    assert parsed.attachments


def test_a_quoted_reply_is_not_a_forward():
    """Outlook's line of underscores starts replies too: without TR:/Fwd: it is a reply, and
    the person quoted is not taken for the sender."""
    body = ("Merci, bien reçu.\n\n________________________________\n"
            "De : Léa Martin <lea.martin@example.com>\nEnvoyé : lundi 2 mars 2026\n"
            "Objet : Candidature stage\n\nMadame,\n")
    reply = parse.parse_mail(make_mail(subject="RE: Candidature stage", body=body,
                                       sender="Claire <claire.fontaine@example.org>"))
    assert not reply.forwarded and reply.sender.address == "claire.fontaine@example.org"
    forward = parse.parse_mail(make_mail(subject="TR: Candidature stage", body=body,
                                         sender="Claire <claire.fontaine@example.org>"))
    assert forward.forwarded and forward.sender.address == "lea.martin@example.com"


@pytest.mark.parametrize("headers, subject, expected", [
    ({"Auto-Submitted": "auto-replied"}, "Candidature", "auto_reply"),
    ({"Auto-Submitted": "no"}, "Candidature", ""),
    ({"X-Autoreply": "yes"}, "Candidature", "auto_reply"),
    ({"Precedence": "bulk"}, "Lettre d'information", "auto_reply"),
    ({"Precedence": "junk"}, "Promo", "auto_reply"),
    # Relayed by the organisation's group or list: an application like any other.
    ({"Precedence": "list", "List-Id": "<recrutement.example.org>"}, "Candidature", ""),
    ({"Precedence": "bulk", "List-Id": "<recrutement.example.org>"}, "Candidature", ""),
    ({}, "Réponse automatique : Candidature stage", "auto_reply"),
    ({}, "Out of office: back on Monday", "auto_reply"),
    ({}, "Candidature stage", ""),
])
def test_auto_replies_are_recognised(headers, subject, expected):
    raw = make_mail(subject=subject, headers=headers)
    assert parse.parse_mail(raw).automatic == expected


def test_bounces_are_recognised():
    assert parse.parse_mail((CORPUS / "14-bounce.eml").read_bytes()).automatic == "bounce"
    raw = make_mail(subject="Delivery problem", sender="MAILER-DAEMON@example.net")
    assert parse.parse_mail(raw).automatic == "bounce"


def test_broken_input_never_raises():
    for raw in (b"", b"\x00\xff\xfe garbage", b"Subject: =?utf-8?B?!!!?=\n\n\xff",
                (CORPUS / "40-broken-headers.eml").read_bytes(),
                b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n"):
        parsed = parse.parse_mail(raw)
        assert parsed.message_key
        assert "\x00" not in parsed.text and "\udcff" not in parsed.subject


def test_dates_from_the_headers():
    parsed = parse.parse_mail((CORPUS / "17-before-deadline-read-late.eml").read_bytes())
    assert parsed.sent_at.isoformat() == "2026-03-05T21:58:00+00:00"
    assert parsed.received_at.isoformat() == "2026-03-05T22:58:40+00:00"


def test_phone_found_in_the_signature():
    raw = make_mail(subject="s", body="Bonjour,\n\nLéa Martin\nTél. : +33 6 12 34 56 78\n")
    assert parse.parse_mail(raw).phone == "+33 6 12 34 56 78"


def test_pdf_attachment_bytes_are_intact():
    pdf = make_pdf("Léa Martin")
    raw = make_mail(subject="s", attachments=[("CV.pdf", "application/pdf", pdf)])
    assert parse.parse_mail(raw).attachments[0].content == pdf
