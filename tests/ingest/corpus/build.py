# ruff: noqa: E501, W291 - mail headers and bodies read best as the clients write them (format=flowed keeps its trailing spaces)
"""Writes the .eml corpus of tests/ingest/corpus/ (run once; the files are committed).

    .venv/bin/python -m tests.ingest.corpus.build

Each message is written by hand in the structure a real client produces (Gmail, Outlook with
its "TR:" and winmail.dat, Thunderbird, Apple Mail, phones), with real documents made by
tests/files.py and WeasyPrint embedded. People and addresses are fictional (example.org,
.net, .com). Running it again rewrites the files with new PDF bytes (WeasyPrint stamps a
date): the expectations (expected.toml) do not depend on those bytes.
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

from tests.files import CORRUPT_PDF, make_docx

HERE = Path(__file__).resolve().parent

# The organisation's address and its offers (the test creates the same ones).
ORG = "recrutement@example.org"
ORG2 = "emplois@example.net"

PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
JPEG_TINY = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)
# The first bytes of a TNEF stream (winmail.dat), then what Outlook packs inside.
WINMAIL = b"\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\x04\x00\x00\x00\x00\x00\x01\x00\x01\x00" + b"\x00IPM.Microsoft Mail.Note\x00" * 20


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<html lang='fr'><body style='font-family:sans-serif'>{html}</body></html>").write_pdf()


def cv_pdf(name: str) -> bytes:
    return _pdf(
        f"<h1>{name}</h1><h2>Expérience professionnelle</h2><p>Animation de conseils "
        f"citoyens, médiation, accueil du public.</p><h2>Formation</h2><p>Master 2 "
        f"développement local.</p><h2>Compétences</h2><p>Animation, rédaction.</p>"
    )


def letter_pdf(name: str) -> bytes:
    return _pdf(
        f"<p>{name}</p><p>Madame, Monsieur,</p><p>Je vous adresse ma candidature et me "
        f"tiens à votre disposition pour un entretien.</p><p>Je vous prie d'agréer, "
        f"Madame, Monsieur, l'expression de mes salutations distinguées.</p>"
    )


def letter_docx(name: str) -> bytes:
    return make_docx(f"Madame, Monsieur, je vous adresse ma candidature. Je vous prie "
                     f"d'agréer mes salutations distinguées. {name}")


def cv_docx(name: str) -> bytes:
    return make_docx(f"{name} – Expérience professionnelle : animatrice. Formation : "
                     f"licence de sociologie. Compétences : médiation.")


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def qp(text: str, charset: str = "utf-8") -> str:
    """Quoted-printable; "¶" stands for a line break (f-string expressions take no backslash)."""
    text = text.replace("¶", "\n")
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def write(name: str, text: str) -> None:
    (HERE / name).write_bytes(text.lstrip("\n").encode("utf-8") if isinstance(text, str) else text)


def write_bytes(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


# --- The messages ----------------------------------------------------------------------------


def gmail_exact() -> None:
    write("01-gmail-exact.eml", f"""
Received: by mx.example.org with ESMTPS id a1sm12345; Mon, 02 Mar 2026 09:15:02 +0100
MIME-Version: 1.0
Date: Mon, 2 Mar 2026 09:14:51 +0100
Message-ID: <CAF3xq1b2N7z+Lh0pQ@mail.gmail.com>
Subject: Candidature stagiaire démocratie permanente
From: =?UTF-8?Q?L=C3=A9a_Martin?= <lea.martin@example.com>
To: {ORG}
Content-Type: multipart/mixed; boundary="000000000000a1b2c3d4e5f6"

--000000000000a1b2c3d4e5f6
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f5"

--000000000000a1b2c3d4e5f5
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp("Bonjour,¶¶Veuillez trouver ci-joint mon CV et ma lettre de motivation pour le stage démocratie permanente.¶¶Bien cordialement,¶Léa Martin¶06 12 34 56 78¶")}
--000000000000a1b2c3d4e5f5
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp('<div dir="ltr">Bonjour,<div><br></div><div>Veuillez trouver ci-joint mon CV et ma lettre de motivation pour le stage démocratie permanente.</div><div><br></div><div>Bien cordialement,</div><div>Léa Martin</div><div>06 12 34 56 78</div></div>')}
--000000000000a1b2c3d4e5f5--
--000000000000a1b2c3d4e5f6
Content-Type: application/pdf; name="CV Léa Martin.pdf"
Content-Disposition: attachment; filename="CV Léa Martin.pdf"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_lx1

{b64(cv_pdf("Léa Martin"))}
--000000000000a1b2c3d4e5f6
Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; name="Lettre de motivation.docx"
Content-Disposition: attachment; filename="Lettre de motivation.docx"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_lx2

{b64(letter_docx("Léa Martin"))}
--000000000000a1b2c3d4e5f6--
""")


def outlook_tr_own_mail() -> None:
    """The candidate forwards (TR:) the application she first sent to a wrong address."""
    write("02-outlook-tr-own-mail.eml", f"""
Received: from EUR05-AM6-obe.outbound.protection.outlook.com by mx.example.org; Tue, 03 Mar 2026 14:02:11 +0100
From: MARTIN Camille <camille.martin@example.net>
To: "{ORG}" <{ORG}>
Subject: TR: candidature stagiaire - démocratie permanente
Thread-Topic: candidature stagiaire - démocratie permanente
Thread-Index: AQHaXb3kJ9m0Gm3XzUq2
Date: Tue, 3 Mar 2026 13:02:05 +0000
Message-ID: <AM6PR05MB6453A1B2C3D4E5F6@AM6PR05MB6453.eurprd05.prod.outlook.com>
Accept-Language: fr-FR, en-US
Content-Language: fr-FR
X-MS-Has-Attach: yes
Content-Type: multipart/mixed; boundary="_004_AM6PR05MB6453A1B2C3D4E5F6AM6PR05MB6453eurprd_"
MIME-Version: 1.0

--_004_AM6PR05MB6453A1B2C3D4E5F6AM6PR05MB6453eurprd_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{qp(chr(10).join([
    "Bonjour,", "", "Je me permets de vous renvoyer ma candidature, envoyée par erreur à une autre adresse.", "",
    "Camille Martin", "",
    "________________________________", "De : MARTIN Camille <camille.martin@example.net>",
    "Envoyé : lundi 2 mars 2026 18:40", "À : contact@example.com",
    "Objet : candidature stagiaire - démocratie permanente", "",
    "Madame, Monsieur,", "", "Vous trouverez ci-joint mon CV et ma lettre de motivation.", "",
    "Cordialement,", "Camille Martin", ""]), "iso-8859-1")}
--_004_AM6PR05MB6453A1B2C3D4E5F6AM6PR05MB6453eurprd_
Content-Type: application/pdf; name="CV_Camille_MARTIN.pdf"
Content-Description: CV_Camille_MARTIN.pdf
Content-Disposition: attachment; filename="CV_Camille_MARTIN.pdf"; size=6000;
\tcreation-date="Mon, 02 Mar 2026 17:39:12 GMT";
\tmodification-date="Mon, 02 Mar 2026 17:39:12 GMT"
Content-Transfer-Encoding: base64

{b64(cv_pdf("Camille Martin"))}
--_004_AM6PR05MB6453A1B2C3D4E5F6AM6PR05MB6453eurprd_
Content-Type: application/pdf; name="LM_Camille_MARTIN.pdf"
Content-Description: LM_Camille_MARTIN.pdf
Content-Disposition: attachment; filename="LM_Camille_MARTIN.pdf"; size=6000
Content-Transfer-Encoding: base64

{b64(letter_pdf("Camille Martin"))}
--_004_AM6PR05MB6453A1B2C3D4E5F6AM6PR05MB6453eurprd_--
""")


def thunderbird_name_in_brackets() -> None:
    write("03-thunderbird-name-in-brackets.eml", f"""
Received: from smtp.example.net by mx.example.org; Wed, 04 Mar 2026 10:21:40 +0100
Message-ID: <7c1f0e2a-3b4d-4e5f-9a6b-7c8d9e0f1a2b@example.net>
Date: Wed, 4 Mar 2026 10:21:33 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: fr
To: {ORG}
From: Hugo Lefebvre <hugo.lefebvre@example.net>
Subject: Candidature stage =?UTF-8?Q?d=C3=A9mocratie?= permanente (Hugo
 Lefebvre)
Content-Type: multipart/mixed;
 boundary="------------x7K2mQ9vR3nT5bW1"

This is a multi-part message in MIME format.
--------------x7K2mQ9vR3nT5bW1
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

Bonjour,

Je souhaite candidater au stage « démocratie permanente ». Vous 
trouverez ci-joints mon CV et ma lettre.

Hugo Lefebvre

--------------x7K2mQ9vR3nT5bW1
Content-Type: application/pdf; name*=UTF-8''CV%20Hugo%20Lef%C3%A8bvre.pdf
Content-Disposition: attachment; filename*=UTF-8''CV%20Hugo%20Lef%C3%A8bvre.pdf
Content-Transfer-Encoding: base64

{b64(cv_pdf("Hugo Lefebvre"))}
--------------x7K2mQ9vR3nT5bW1
Content-Type: application/vnd.oasis.opendocument.text;
 name*=UTF-8''Lettre%20de%20motivation%20%E2%80%93%20Hugo.odt
Content-Disposition: attachment;
 filename*=UTF-8''Lettre%20de%20motivation%20%E2%80%93%20Hugo.odt
Content-Transfer-Encoding: base64

{b64(_odt("Madame, Monsieur, je vous prie d'agréer mes salutations. Hugo Lefebvre"))}
--------------x7K2mQ9vR3nT5bW1--
""")


def _odt(text: str) -> bytes:
    from tests.files import make_odt

    return make_odt(text)


def iso_8859_1_subject() -> None:
    body = "Madame, Monsieur,\n\nJe vous prie de trouver ci-joint ma candidature au poste de chargée de mission.\n\nNoémie Dupré\n"
    write_bytes("04-iso-8859-1-subject.eml", f"""Received: from webmail.example.com by mx.example.org; Wed, 04 Mar 2026 16:45:10 +0100
Date: Wed, 04 Mar 2026 16:45:02 +0100
From: =?iso-8859-1?Q?No=E9mie_DUPR=C9?= <noemie.dupre@example.com>
To: {ORG}
Subject: =?iso-8859-1?Q?Candidature_charg=E9e_de_mission_conseils_citoyens_-_?=
 =?iso-8859-1?Q?No=E9mie_DUPR=C9?=
Message-ID: <20260304154502.GA4411@webmail.example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_d1f2e3a4b5c6"

--=_d1f2e3a4b5c6
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

{qp(body, "iso-8859-1")}
--=_d1f2e3a4b5c6
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=iso-8859-1''Lettre%20No%E9mie%20;
 filename*1*=Dupr%E9.pdf
Content-Transfer-Encoding: base64

{b64(letter_pdf("Noémie Dupré"))}
--=_d1f2e3a4b5c6
Content-Type: application/pdf; name="=?iso-8859-1?Q?CV_No=E9mie_Dupr=E9.pdf?="
Content-Disposition: attachment; filename="=?iso-8859-1?Q?CV_No=E9mie_Dupr=E9.pdf?="
Content-Transfer-Encoding: base64

{b64(cv_pdf("Noémie Dupré"))}
--=_d1f2e3a4b5c6--
""".encode("ascii"))


def apple_mail_nested() -> None:
    write("05-apple-mail-nested.eml", f"""
Received: from mail.example.com by mx.example.org; Thu, 05 Mar 2026 08:03:27 +0100
From: =?utf-8?Q?Th=C3=A9o_Garnier?= <theo.garnier@example.com>
Content-Type: multipart/mixed;
\tboundary="Apple-Mail=_5B1E4C3A-2D1F-4E6A-9B8C-7D6E5F4A3B2C"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.300.61.1.2\\))
Subject: Candidature alternance communication
Date: Thu, 5 Mar 2026 08:03:12 +0100
Message-Id: <9F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A@example.com>
To: {ORG}

--Apple-Mail=_5B1E4C3A-2D1F-4E6A-9B8C-7D6E5F4A3B2C
Content-Type: multipart/alternative;
\tboundary="Apple-Mail=_0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9"

--Apple-Mail=_0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
\tcharset=utf-8

{qp("Bonjour,¶¶Je vous adresse ma candidature pour l’alternance en communication.¶¶Théo Garnier¶")}
--Apple-Mail=_0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9
Content-Type: multipart/related;
\ttype="text/html";
\tboundary="Apple-Mail=_11223344-5566-4778-899A-ABBCCDDEEFF0"

--Apple-Mail=_11223344-5566-4778-899A-ABBCCDDEEFF0
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html;
\tcharset=utf-8

{qp('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word;">Bonjour,<div><br></div><div>Je vous adresse ma candidature pour l’alternance en communication.</div><div><br></div><div>Théo Garnier</div><div><img src="cid:logo-ecole@example.com"></div></body></html>')}
--Apple-Mail=_11223344-5566-4778-899A-ABBCCDDEEFF0
Content-Transfer-Encoding: base64
Content-Disposition: inline;
\tfilename=logo-ecole.png
Content-Type: image/png;
\tx-unix-mode=0644;
\tname="logo-ecole.png"
Content-Id: <logo-ecole@example.com>

{b64(PNG_1X1)}
--Apple-Mail=_11223344-5566-4778-899A-ABBCCDDEEFF0--

--Apple-Mail=_0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9--

--Apple-Mail=_5B1E4C3A-2D1F-4E6A-9B8C-7D6E5F4A3B2C
Content-Disposition: inline;
\tfilename*=utf-8''CV%20Th%C3%A9o%20Garnier.pdf
Content-Type: application/pdf;
\tx-unix-mode=0644;
\tname="=?utf-8?Q?CV_Th=C3=A9o_Garnier=2Epdf?="
Content-Transfer-Encoding: base64

{b64(cv_pdf("Théo Garnier"))}
--Apple-Mail=_5B1E4C3A-2D1F-4E6A-9B8C-7D6E5F4A3B2C
Content-Disposition: inline;
\tfilename*=utf-8''Lettre%20de%20motivation.pdf
Content-Type: application/pdf;
\tx-unix-mode=0644;
\tname="Lettre de motivation.pdf"
Content-Transfer-Encoding: base64

{b64(letter_pdf("Théo Garnier"))}
--Apple-Mail=_5B1E4C3A-2D1F-4E6A-9B8C-7D6E5F4A3B2C--
""")


def iphone_html_only() -> None:
    write("06-iphone-html-only.eml", f"""
Received: from mail.example.net by mx.example.org; Thu, 05 Mar 2026 21:47:55 +0100
Content-Type: multipart/mixed; boundary=Apple-Mail-6C1D2E3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F
Content-Transfer-Encoding: 7bit
From: Sarah Cohen <sarah.cohen@example.net>
Mime-Version: 1.0 (1.0)
Date: Thu, 5 Mar 2026 21:47:41 +0100
Subject: Candidature alternance comptabilite
Message-Id: <A1B2C3D4-E5F6-4789-9ABC-DEF012345678@example.net>
To: {ORG}
X-Mailer: iPhone Mail (21D61)

--Apple-Mail-6C1D2E3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F
Content-Type: text/html;
\tcharset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto"><div dir="ltr">Bonjour,</div><div dir="ltr"><br></div><div dir="ltr">Je vous envoie mon CV pour l&#8217;alternance en comptabilité. Je suis disponible dès septembre.</div><div dir="ltr"><br></div><div dir="ltr">Sarah Cohen<br><br><div dir="ltr">Envoyé de mon iPhone</div></div></body></html>')}
--Apple-Mail-6C1D2E3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F
Content-Type: application/pdf;
\tname="Sarah Cohen.pdf";
\tx-apple-part-url=6C1D2E3F-0001
Content-Disposition: attachment;
\tfilename="Sarah Cohen.pdf"
Content-Transfer-Encoding: base64

{b64(cv_pdf("Sarah Cohen"))}
--Apple-Mail-6C1D2E3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F--
""")


def android_plus_slug() -> None:
    write("07-android-plus-slug.eml", f"""
Received: from mail.example.com by mx.example.org; Fri, 06 Mar 2026 12:10:08 +0100
MIME-Version: 1.0
Date: Fri, 06 Mar 2026 12:09:55 +0100
Message-ID: <e2b1c4d0-77aa-4c11-b2f3-0f9e8d7c6b5a@example.com>
Subject: Ma candidature
From: Karim Haddad <karim.haddad@example.com>
To: recrutement+stagiaire-democratie-permanente@example.org
Content-Type: multipart/mixed; boundary="--_com.android.email_482913375501"

----_com.android.email_482913375501
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

{b64("Bonjour,¶¶Voici ma candidature pour le stage.¶¶Karim Haddad¶¶Envoyé depuis mon appareil Android¶".replace("¶", chr(10)).encode())}
----_com.android.email_482913375501
Content-Type: application/pdf; name="CV-Karim-Haddad.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="CV-Karim-Haddad.pdf"

{b64(cv_pdf("Karim Haddad"))}
----_com.android.email_482913375501
Content-Type: application/pdf; name="Lettre-Karim-Haddad.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="Lettre-Karim-Haddad.pdf"

{b64(letter_pdf("Karim Haddad"))}
----_com.android.email_482913375501--
""")


def plus_reference() -> None:
    write("08-plus-reference.eml", f"""
Received: from smtp.example.net by mx.example.org; Fri, 06 Mar 2026 15:30:00 +0100
Message-ID: <5f4e3d2c1b0a@example.net>
Date: Fri, 6 Mar 2026 15:29:51 +0100
From: "Julie Roux" <julie.roux@example.net>
To: Recrutement <recrutement+VAC-2026-04@example.org>
Subject: Candidature
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1_9a8b7c6d"

--b1_9a8b7c6d
Content-Type: text/plain; charset=us-ascii

Bonjour,

Veuillez trouver ma candidature en piece jointe.

Julie Roux

--b1_9a8b7c6d
Content-Type: application/pdf; name="Julie_Roux_CV_et_lettre.pdf"
Content-Disposition: attachment; filename="Julie_Roux_CV_et_lettre.pdf"
Content-Transfer-Encoding: base64

{b64(cv_pdf("Julie Roux"))}
--b1_9a8b7c6d--
""")


def gmail_forwarded_inline() -> None:
    write("09-gmail-forwarded-inline.eml", f"""
Received: by mx.example.org with ESMTPS; Sat, 07 Mar 2026 10:02:44 +0100
MIME-Version: 1.0
References: <CAJ8s7kH2-Q9wX@mail.gmail.com>
In-Reply-To: <CAJ8s7kH2-Q9wX@mail.gmail.com>
From: Claire Fontaine <claire.fontaine.perso@example.com>
Date: Sat, 7 Mar 2026 10:02:31 +0100
Message-ID: <CAM4Fw9-kz3Lq8@mail.gmail.com>
Subject: Fwd: Candidature chargé de mission conseils citoyens
To: {ORG}
Content-Type: multipart/mixed; boundary="0000000000008f7e6d5c4b3a2918"

--0000000000008f7e6d5c4b3a2918
Content-Type: multipart/alternative; boundary="0000000000008f7e6d5c4b3a2917"

--0000000000008f7e6d5c4b3a2917
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp(chr(10).join([
    "Reçue sur mon adresse personnelle, je transfère.", "", "---------- Forwarded message ---------",
    "From: Yasmine Benali <yasmine.benali@example.com>", "Date: Fri, Mar 6, 2026 at 7:12 PM",
    "Subject: Candidature chargé de mission conseils citoyens",
    "To: Claire Fontaine <claire.fontaine.perso@example.com>", "", "",
    "Madame Fontaine,", "", "Je vous prie de trouver ci-joint mon CV et ma lettre de motivation pour le poste de chargée de mission.", "",
    "Yasmine Benali", ""]))}
--0000000000008f7e6d5c4b3a2917
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp('<div dir="ltr">Reçue sur mon adresse personnelle, je transfère.<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" dir="auto">Yasmine Benali</strong> <span dir="auto">&lt;yasmine.benali@example.com&gt;</span><br>Date: Fri, Mar 6, 2026 at 7:12 PM<br>Subject: Candidature chargé de mission conseils citoyens<br>To: Claire Fontaine &lt;claire.fontaine.perso@example.com&gt;<br></div><br><br><div dir="ltr">Madame Fontaine,<br><br>Je vous prie de trouver ci-joint mon CV et ma lettre de motivation.<br><br>Yasmine Benali</div></div></div>')}
--0000000000008f7e6d5c4b3a2917--
--0000000000008f7e6d5c4b3a2918
Content-Type: application/pdf; name="CV Yasmine Benali.pdf"
Content-Disposition: attachment; filename="CV Yasmine Benali.pdf"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_m1

{b64(cv_pdf("Yasmine Benali"))}
--0000000000008f7e6d5c4b3a2918
Content-Type: application/pdf; name="Lettre Yasmine Benali.pdf"
Content-Disposition: attachment; filename="Lettre Yasmine Benali.pdf"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_m2

{b64(letter_pdf("Yasmine Benali"))}
--0000000000008f7e6d5c4b3a2918--
""")


def outlook_forwarded_rfc822() -> None:
    inner = f"""From: =?utf-8?B?VGjDqW8gUm9iZXJ0?= <theo.robert@example.net>
To: =?utf-8?Q?In=C3=A8s_Moreau?= <ines.moreau@example.org>
Subject: Candidature alternance communication
Date: Sun, 8 Mar 2026 17:55:10 +0100
Message-ID: <inner-4b3a2918@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inner-b0undary"

--inner-b0undary
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp("Madame,¶¶Actuellement en BTS communication, je souhaite rejoindre votre association en alternance.¶¶Théo Robert¶07 98 76 54 32¶")}
--inner-b0undary
Content-Type: application/pdf; name="CV_Theo_Robert.pdf"
Content-Disposition: attachment; filename="CV_Theo_Robert.pdf"
Content-Transfer-Encoding: base64

{b64(cv_pdf("Théo Robert"))}
--inner-b0undary
Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; name="Lettre_motivation_Theo_Robert.docx"
Content-Disposition: attachment; filename="Lettre_motivation_Theo_Robert.docx"
Content-Transfer-Encoding: base64

{b64(letter_docx("Théo Robert"))}
--inner-b0undary--
"""
    write("10-outlook-forwarded-rfc822.eml", f"""
Received: from EUR02-VI1-obe.outbound.protection.outlook.com by mx.example.org; Mon, 09 Mar 2026 09:12:40 +0100
From: =?iso-8859-1?Q?In=E8s_Moreau?= <ines.moreau@example.org>
To: {ORG}
Subject: TR: Candidature alternance communication
Thread-Topic: Candidature alternance communication
Date: Mon, 9 Mar 2026 08:12:33 +0000
Message-ID: <VI1PR02MB5678F0E1D2C3B4A5@VI1PR02MB5678.eurprd02.prod.outlook.com>
Content-Language: fr-FR
X-MS-Has-Attach: yes
Content-Type: multipart/mixed; boundary="_002_VI1PR02MB5678F0E1D2C3B4A5_"
MIME-Version: 1.0

--_002_VI1PR02MB5678F0E1D2C3B4A5_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{qp("Bonjour,¶¶Candidature reçue sur ma boîte, en pièce jointe.¶¶Inès¶", "iso-8859-1")}
--_002_VI1PR02MB5678F0E1D2C3B4A5_
Content-Type: message/rfc822
Content-Disposition: attachment;
\tcreation-date="Mon, 09 Mar 2026 08:12:30 GMT";
\tmodification-date="Mon, 09 Mar 2026 08:12:30 GMT"

{inner}
--_002_VI1PR02MB5678F0E1D2C3B4A5_--
""")


def thunderbird_forwarded_inline_fr() -> None:
    write("11-thunderbird-forwarded-inline-fr.eml", f"""
Received: from smtp.example.org by mx.example.org; Mon, 09 Mar 2026 11:40:21 +0100
Message-ID: <0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d@example.org>
Date: Mon, 9 Mar 2026 11:40:15 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: =?UTF-8?Q?Fwd=3A_Candidature_stagiaire_d=C3=A9mocratie_permanente?=
References: <c5d6e7f8-a9b0-4c1d-8e2f-3a4b5c6d7e8f@example.com>
To: {ORG}
From: Accueil <accueil@example.org>
Content-Type: multipart/mixed; boundary="------------tB7wQ3zP9xL2"

This is a multi-part message in MIME format.
--------------tB7wQ3zP9xL2
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

Arrivée sur l'adresse de l'accueil.



-------- Message transféré --------
Sujet : 	Candidature stagiaire démocratie permanente
Date : 	Sun, 8 Mar 2026 22:14:03 +0100
De : 	Manon Petit <manon.petit@example.com>
Pour : 	accueil@example.org



Bonjour,

Je vous adresse ma candidature pour le stage démocratie permanente.

Manon Petit

--------------tB7wQ3zP9xL2
Content-Type: application/pdf; name="CV Manon Petit.pdf"
Content-Disposition: attachment; filename="CV Manon Petit.pdf"
Content-Transfer-Encoding: base64

{b64(cv_pdf("Manon Petit"))}
--------------tB7wQ3zP9xL2
Content-Type: application/pdf; name="Lettre de motivation Manon Petit.pdf"
Content-Disposition: attachment; filename="Lettre de motivation Manon Petit.pdf"
Content-Transfer-Encoding: base64

{b64(letter_pdf("Manon Petit"))}
--------------tB7wQ3zP9xL2--
""")


def auto_reply_outlook() -> None:
    write("12-auto-reply-outlook.eml", f"""
Received: from EUR03-DB5-obe.outbound.protection.outlook.com by mx.example.org; Mon, 09 Mar 2026 12:00:03 +0100
From: Paul Girard <paul.girard@example.com>
To: {ORG}
Subject: =?iso-8859-1?Q?R=E9ponse_automatique=A0:_Candidature_stagiaire_d=E9mocratie_pe?=
 =?iso-8859-1?Q?rmanente?=
Thread-Topic: Candidature stagiaire =?iso-8859-1?Q?d=E9mocratie_permanente?=
Date: Mon, 9 Mar 2026 11:00:01 +0000
Message-ID: <DB5PR03MB1234AUTO@DB5PR03MB1234.eurprd03.prod.outlook.com>
Auto-Submitted: auto-replied
X-MS-Exchange-Inbox-Rules-Loop: paul.girard@example.com
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

{qp("Bonjour,¶¶Je suis absent jusqu'au 16 mars inclus. Votre message sera traité à mon retour.¶¶Paul Girard¶", "iso-8859-1")}
""")


def auto_reply_vacation() -> None:
    write("13-auto-reply-vacation.eml", f"""
Received: from mail.example.net by mx.example.org; Mon, 09 Mar 2026 14:31:12 +0100
Date: Mon, 9 Mar 2026 14:31:09 +0100
From: Lucie Bernard <lucie.bernard@example.net>
To: {ORG}
Subject: Out of Office: Candidature alternance communication
Message-ID: <ooo-20260309143109@example.net>
X-Autoreply: yes
Precedence: auto_reply
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

I am out of the office until March 16 with limited access to email.
Je suis absente jusqu'au 16 mars.
""")


def bounce() -> None:
    write("14-bounce.eml", f"""
Received: from mx.example.net by mx.example.org; Mon, 09 Mar 2026 15:05:00 +0100
Date: Mon, 9 Mar 2026 15:04:58 +0100 (CET)
From: MAILER-DAEMON@example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {ORG}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4F2A1B3C5D.1773065098/mx.example.net"
Message-Id: <20260309140458.4F2A1B3C5D@mx.example.net>

This is a MIME-encapsulated message.

--4F2A1B3C5D.1773065098/mx.example.net
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<ancienne.adresse@example.net>: host mx.example.net said: 550 5.1.1 User unknown

--4F2A1B3C5D.1773065098/mx.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon,  9 Mar 2026 15:04:57 +0100 (CET)

Final-Recipient: rfc822; ancienne.adresse@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--4F2A1B3C5D.1773065098/mx.example.net
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: {ORG}
To: ancienne.adresse@example.net
Subject: Votre candidature
Date: Mon, 9 Mar 2026 15:04:50 +0100

--4F2A1B3C5D.1773065098/mx.example.net--
""")


def simple(name: str, *, subject: str, sender: str, date: str, received: str, body: str,
           attachments: list[tuple[str, str, bytes]], to: str = ORG, message_id: str | None = None,
           extra_headers: str = "") -> None:
    """A plain webmail-style message: text part and attachments in multipart/mixed."""
    boundary = "=_" + name.split("-")[0] + "_b0undary"
    mid = f"Message-ID: {message_id}\n" if message_id else ""
    parts = [f"""--{boundary}
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp(body)}"""]
    for filename, media_type, data in attachments:
        parts.append(f"""--{boundary}
Content-Type: {media_type}; name="{filename}"
Content-Disposition: attachment; filename="{filename}"
Content-Transfer-Encoding: base64

{b64(data)}""")
    encoded_subject = subject
    if not subject.isascii():
        encoded_subject = "=?utf-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
    write(name, f"""
Received: from webmail.example.com by mx.example.org; {received}
{mid}Date: {date}
From: {sender}
To: {to}
Subject: {encoded_subject}
MIME-Version: 1.0
{extra_headers}Content-Type: multipart/mixed; boundary="{boundary}"

""" + "\n".join(parts) + f"\n--{boundary}--\n")


PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def closed_and_deadline() -> None:
    simple("15-closed-offer.eml", subject="Candidature service civique médiation",
           sender="Inès Lambert <ines.lambert@example.com>",
           date="Tue, 3 Mar 2026 10:00:00 +0100", received="Tue, 03 Mar 2026 10:00:05 +0100",
           message_id="<closed-offer-1@example.com>",
           body="Bonjour,\n\nVoici ma candidature pour le service civique en médiation.\n\nInès Lambert\n",
           attachments=[("CV Inès Lambert.pdf", PDF, cv_pdf("Inès Lambert"))])
    simple("16-past-deadline.eml", subject="Candidature animateur jeunesse",
           sender="Mathis Fournier <mathis.fournier@example.net>",
           date="Sun, 8 Mar 2026 20:30:00 +0100", received="Sun, 08 Mar 2026 20:30:04 +0100",
           message_id="<past-deadline-1@example.net>",
           body="Bonjour,\n\nJe vous envoie ma candidature pour le poste d'animateur jeunesse.\n\nMathis Fournier\n",
           attachments=[("CV Mathis Fournier.pdf", PDF, cv_pdf("Mathis Fournier"))])
    # Arrived before the deadline (Thursday 5 March, 23:59 in Paris), read a week later.
    simple("17-before-deadline-read-late.eml", subject="Candidature animateur jeunesse",
           sender="Chloé Mercier <chloe.mercier@example.com>",
           date="Thu, 5 Mar 2026 22:58:00 +0100", received="Thu, 05 Mar 2026 23:58:40 +0100",
           message_id="<before-deadline-1@example.com>",
           body="Bonjour,\n\nJuste avant la date limite, voici ma candidature.\n\nChloé Mercier\n",
           attachments=[("CV Chloé Mercier.pdf", PDF, cv_pdf("Chloé Mercier")),
                        ("Lettre Chloé Mercier.pdf", PDF, letter_pdf("Chloé Mercier"))])


NEAR_MISSES = [
    # (file, subject, sender, to)
    ("18-near-miss-missing-words.eml", "Candidature stage démocratie", "Antoine Blanc <antoine.blanc@example.com>", ORG),
    ("19-near-miss-reworded.eml", "Candidature pour le poste de chargé de mission", "Emma Faure <emma.faure@example.net>", ORG),
    ("20-near-miss-two-offers.eml", "Candidature alternance", "Nathan Leroy <nathan.leroy@example.com>", ORG),
    ("21-near-miss-other-words.eml", "Candidature stagiaire démocratie participative", "Zoé André <zoe.andre@example.net>", ORG),
    ("22-near-miss-feminine.eml", "Candidature coordinatrice", "Aïcha Diallo <aicha.diallo@example.com>", ORG2),
    ("23-near-miss-closed-offer.eml", "Candidature service civique", "Louis Chevalier <louis.chevalier@example.net>", ORG),
    ("24-near-miss-animation.eml", "Candidature animation jeunesse", "Jade Gauthier <jade.gauthier@example.com>", ORG),
    ("25-near-miss-dossier.eml", "Dossier de candidature - conseils citoyens", "Hélène Perrin <helene.perrin@example.org>", ORG),
]


def near_misses() -> None:
    for index, (name, subject, sender, to) in enumerate(NEAR_MISSES):
        person = sender.split(" <")[0]
        simple(name, subject=subject, sender=sender, to=to,
               date=f"Tue, 10 Mar 2026 {9 + index:02d}:15:00 +0100",
               received=f"Tue, 10 Mar 2026 {9 + index:02d}:15:04 +0100",
               message_id=f"<near-miss-{index + 1}@example.com>",
               body=f"Bonjour,\n\nVous trouverez ci-joint ma candidature.\n\n{person}\n",
               attachments=[(f"CV {person}.pdf", PDF, cv_pdf(person))])


def no_subject_match() -> None:
    simple("26-no-subject-match.eml", subject="Demande de renseignements",
           sender="Bruno Marchand <bruno.marchand@example.com>",
           date="Tue, 10 Mar 2026 18:00:00 +0100", received="Tue, 10 Mar 2026 18:00:02 +0100",
           message_id="<question-1@example.com>",
           body="Bonjour,\n\nLe poste de chargé de mission est-il ouvert aux personnes en reconversion ?\n\nBruno Marchand\n",
           attachments=[])


def winmail() -> None:
    write("27-outlook-winmail-dat.eml", f"""
Received: from exchange.example.com by mx.example.org; Tue, 10 Mar 2026 19:20:00 +0100
From: "Durand, Pierre" <pierre.durand@example.com>
To: {ORG}
Subject: Candidature =?iso-8859-1?Q?charg=E9?= de mission conseils citoyens
Date: Tue, 10 Mar 2026 18:19:55 +0000
Message-ID: <0123456789ABCDEF@EXCH01.example.com>
MIME-Version: 1.0
X-Mailer: Microsoft Outlook 16.0
Content-Type: multipart/mixed; boundary="----=_NextPart_000_0012_01DA7A1B.2C3D4E50"

This is a multi-part message in MIME format.

------=_NextPart_000_0012_01DA7A1B.2C3D4E50
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{qp("Madame, Monsieur,¶¶Veuillez trouver ci-joints mon CV et ma lettre de motivation.¶¶Pierre Durand¶", "iso-8859-1")}
------=_NextPart_000_0012_01DA7A1B.2C3D4E50
Content-Type: application/ms-tnef; name="winmail.dat"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="winmail.dat"

{b64(WINMAIL)}
------=_NextPart_000_0012_01DA7A1B.2C3D4E50--
""")


def corrupt_pdf() -> None:
    simple("28-corrupt-pdf.eml", subject="Candidature alternance communication",
           sender="Rayan Bonnet <rayan.bonnet@example.net>",
           date="Wed, 11 Mar 2026 08:00:00 +0100", received="Wed, 11 Mar 2026 08:00:03 +0100",
           message_id="<corrupt-pdf-1@example.net>",
           body="Bonjour,\n\nMa candidature en pièces jointes.\n\nRayan Bonnet\n",
           attachments=[("CV Rayan Bonnet.pdf", PDF, CORRUPT_PDF),
                        ("Lettre Rayan Bonnet.docx", DOCX, letter_docx("Rayan Bonnet"))])


def no_message_id() -> None:
    simple("29-no-message-id.eml", subject="Candidature alternance comptabilité",
           sender="Lina Moulin <lina.moulin@example.com>",
           date="Wed, 11 Mar 2026 08:30:00 +0100", received="Wed, 11 Mar 2026 08:30:02 +0100",
           message_id=None,
           body="Bonjour,\n\nJe vous adresse ma candidature.\n\nLina Moulin\n",
           attachments=[("CV Lina Moulin.pdf", PDF, cv_pdf("Lina Moulin")),
                        ("LM Lina Moulin.pdf", PDF, letter_pdf("Lina Moulin"))])


def rfc2231_latin1_continuations() -> None:
    write("30-rfc2231-latin1-continuations.eml", f"""
Received: from smtp.example.org by mx.example.org; Wed, 11 Mar 2026 09:00:00 +0100
Message-ID: <rfc2231-latin1@example.org>
Date: Wed, 11 Mar 2026 08:59:57 +0100
From: =?ISO-8859-1?Q?=C9lodie_Gu=E9rin?= <elodie.guerin@example.org>
To: {ORG}
Subject: =?ISO-8859-1?Q?Re=A0:_Candidature_stagiaire_d=E9mocratie_permanente?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="xYzZY"

--xYzZY
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: 8bit

""" + "Bonjour,\n\nSuite à notre échange, voici mon dossier.\n\nÉlodie Guérin\n" + f"""
--xYzZY
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=iso-8859-1''CV%20%C9lodie%20;
 filename*1*=Gu%E9rin.pdf
Content-Transfer-Encoding: base64

{b64(cv_pdf("Élodie Guérin"))}
--xYzZY
Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document
Content-Disposition: attachment;
 filename*=iso-8859-1''Lettre%20%E9lodie.docx
Content-Transfer-Encoding: base64

{b64(letter_docx("Élodie Guérin"))}
--xYzZY--
""")


def fix_latin1(name: str) -> None:
    """Re-encode a file's 8-bit body (written as UTF-8 above) as ISO-8859-1."""
    path = HERE / name
    path.write_bytes(path.read_bytes().decode("utf-8").encode("iso-8859-1"))


def no_attachment() -> None:
    simple("31-no-attachment.eml", subject="Candidature chargé de mission conseils citoyens",
           sender="Victor Rousseau <victor.rousseau@example.com>",
           date="Wed, 11 Mar 2026 10:00:00 +0100", received="Wed, 11 Mar 2026 10:00:02 +0100",
           message_id="<no-attachment-1@example.com>",
           body="Madame, Monsieur,\n\nJe souhaite candidater au poste de chargé de mission. Mon CV suit.\n\nVictor Rousseau\n",
           attachments=[])


def second_version() -> None:
    write("32-gmail-second-version.eml", f"""
Received: by mx.example.org with ESMTPS id b2sm67890; Wed, 11 Mar 2026 11:30:12 +0100
MIME-Version: 1.0
Date: Wed, 11 Mar 2026 11:30:01 +0100
Message-ID: <CAF3xq1c9P0a+Mm2rS@mail.gmail.com>
Subject: Re: Candidature stagiaire démocratie permanente
From: =?UTF-8?Q?L=C3=A9a_Martin?= <Lea.Martin@example.com>
To: {ORG}
Content-Type: multipart/mixed; boundary="000000000000b2c3d4e5f6a7"

--000000000000b2c3d4e5f6a7
Content-Type: multipart/alternative; boundary="000000000000b2c3d4e5f6a6"

--000000000000b2c3d4e5f6a6
Content-Type: text/plain; charset="UTF-8"

Bonjour,

Voici mon CV mis à jour.

Léa Martin

--000000000000b2c3d4e5f6a6
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Bonjour,<br><br>Voici mon CV mis à jour.<br><br>Léa Martin</div>

--000000000000b2c3d4e5f6a6--
--000000000000b2c3d4e5f6a7
Content-Type: application/pdf; name="CV Léa Martin 2026.pdf"
Content-Disposition: attachment; filename="CV Léa Martin 2026.pdf"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_lx9

{b64(cv_pdf("Léa Martin – mars 2026"))}
--000000000000b2c3d4e5f6a7--
""")


def outlook_signature_images() -> None:
    write("33-outlook-signature-images.eml", f"""
Received: from EUR04-HE1-obe.outbound.protection.outlook.com by mx.example.org; Wed, 11 Mar 2026 13:05:30 +0100
From: "Dupont, Jeanne" <jeanne.dupont@example.com>
To: "{ORG}" <{ORG}>
Subject: Candidature =?iso-8859-1?Q?charg=E9?= de mission conseils citoyens
Date: Wed, 11 Mar 2026 12:05:22 +0000
Message-ID: <HE1PR04MB9876543210@HE1PR04MB9876.eurprd04.prod.outlook.com>
Content-Language: fr-FR
X-MS-Has-Attach: yes
Content-Type: multipart/mixed; boundary="_006_HE1PR04MB9876_"
MIME-Version: 1.0

--_006_HE1PR04MB9876_
Content-Type: multipart/related; boundary="_005_HE1PR04MB9876_"; type="multipart/alternative"

--_005_HE1PR04MB9876_
Content-Type: multipart/alternative; boundary="_000_HE1PR04MB9876_"

--_000_HE1PR04MB9876_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{qp("Madame, Monsieur,¶¶Je vous prie de trouver ci-joint mon curriculum vitae.¶¶Jeanne Dupont¶[cid:image001.png@01DA7A1B.2C3D4E50]¶", "iso-8859-1")}
--_000_HE1PR04MB9876_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{qp('<html><body><p>Madame, Monsieur,</p><p>Je vous prie de trouver ci-joint mon curriculum vitae.</p><p>Jeanne Dupont<br><img src="cid:image001.png@01DA7A1B.2C3D4E50"></p></body></html>', "iso-8859-1")}
--_000_HE1PR04MB9876_--

--_005_HE1PR04MB9876_
Content-Type: image/png; name="image001.png"
Content-Description: image001.png
Content-Disposition: inline; filename="image001.png"; size=68
Content-ID: <image001.png@01DA7A1B.2C3D4E50>
Content-Transfer-Encoding: base64

{b64(PNG_1X1)}
--_005_HE1PR04MB9876_--

--_006_HE1PR04MB9876_
Content-Type: application/pdf; name="Curriculum Jeanne Dupont.pdf"
Content-Description: Curriculum Jeanne Dupont.pdf
Content-Disposition: attachment; filename="Curriculum Jeanne Dupont.pdf"; size=6000
Content-Transfer-Encoding: base64

{b64(cv_pdf("Jeanne Dupont"))}
--_006_HE1PR04MB9876_--
""")


def address_only_sender() -> None:
    simple("34-address-only-sender.eml", subject="RE: RE: Fwd: Candidature alternance communication",
           sender="lea.moreau@example.com",
           date="Wed, 11 Mar 2026 14:00:00 +0100", received="Wed, 11 Mar 2026 14:00:03 +0100",
           message_id="<address-only-1@example.com>",
           body="Bonjour,\n\nComme convenu, ma candidature.\n\nCordialement,\nLéa Moreau\n",
           attachments=[("Document1.pdf", PDF, cv_pdf("Léa Moreau")),
                        ("Document2.pdf", PDF, letter_pdf("Léa Moreau"))])


def content_decides() -> None:
    """Names that say nothing: the content tells the letter (PDF) from the CV (DOCX)."""
    simple("35-content-decides.eml", subject="Candidature chargé de mission conseils citoyens",
           sender="Marc Lemoine <marc.lemoine@example.net>",
           date="Wed, 11 Mar 2026 15:00:00 +0100", received="Wed, 11 Mar 2026 15:00:02 +0100",
           message_id="<content-decides-1@example.net>",
           body="Bonjour,\n\nMa candidature ci-jointe.\n\nMarc Lemoine\n",
           attachments=[("Scan_20260311.pdf", PDF, letter_pdf("Marc Lemoine")),
                        ("Mon parcours.docx", DOCX, cv_docx("Marc Lemoine"))])


def other_organisation() -> None:
    simple("36-other-organisation.eml", subject="Candidature coordinateur centre social",
           sender="Olivier Masson <olivier.masson@example.com>", to=ORG2,
           date="Wed, 11 Mar 2026 16:00:00 +0100", received="Wed, 11 Mar 2026 16:00:02 +0100",
           message_id="<other-org-1@example.com>",
           body="Bonjour,\n\nVoici ma candidature au poste de coordinateur.\n\nOlivier Masson\n",
           attachments=[("CV Olivier Masson.pdf", PDF, cv_pdf("Olivier Masson")),
                        ("Lettre Olivier Masson.pdf", PDF, letter_pdf("Olivier Masson"))])


def photo_and_diploma() -> None:
    boundary = "----=_Part_12345_67890.1773240000000"
    write("37-photo-and-diploma.eml", f"""
Received: from mail.example.net by mx.example.org; Wed, 11 Mar 2026 17:00:00 +0100
Date: Wed, 11 Mar 2026 16:59:58 +0100 (CET)
From: Adam Roche <adam.roche@example.net>
To: Recrutement Villes au carre <recrutement+stage-accueil-tours-nord@example.org>
Message-ID: <1234567.890.1773240000000@webmail.example.net>
Subject: Candidature stage accueil
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

Bonjour,

Ci-joints mon CV, ma lettre, mon diplome et une photo.

Adam Roche
--{boundary}
Content-Type: application/pdf; name=CV_Adam_Roche.pdf
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=CV_Adam_Roche.pdf

{b64(cv_pdf("Adam Roche"))}
--{boundary}
Content-Type: application/pdf; name=Lettre_Adam_Roche.pdf
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=Lettre_Adam_Roche.pdf

{b64(letter_pdf("Adam Roche"))}
--{boundary}
Content-Type: application/pdf; name=Diplome_BTS.pdf
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=Diplome_BTS.pdf

{b64(_pdf("<h1>Brevet de technicien supérieur</h1><p>Adam Roche</p>"))}
--{boundary}
Content-Type: image/jpeg; name=photo.jpg
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=photo.jpg

{b64(JPEG_TINY)}
--{boundary}--
""")


def from_organisation() -> None:
    simple("38-from-organisation.eml", subject="RE: Candidature stagiaire démocratie permanente",
           sender="Claire Fontaine <claire.fontaine@example.org>",
           date="Wed, 11 Mar 2026 18:00:00 +0100", received="Wed, 11 Mar 2026 18:00:02 +0100",
           message_id="<from-org-1@example.org>",
           body="Bonjour Léa,\n\nNous avons bien reçu votre candidature, merci.\n\nClaire Fontaine\n",
           attachments=[("Fiche de poste.pdf", PDF, _pdf("<h1>Fiche de poste</h1>"))])


def ambiguous() -> None:
    simple("39-ambiguous-same-line.eml", subject="Candidature stage accueil",
           sender="Inès Garcia <ines.garcia@example.com>",
           date="Wed, 11 Mar 2026 19:00:00 +0100", received="Wed, 11 Mar 2026 19:00:02 +0100",
           message_id="<ambiguous-1@example.com>",
           body="Bonjour,\n\nJe candidate au stage d'accueil.\n\nInès Garcia\n",
           attachments=[("CV Inès Garcia.pdf", PDF, cv_pdf("Inès Garcia"))])


def broken() -> None:
    """Malformed headers, an unknown charset, truncated base64: read what can be read."""
    write_bytes("40-broken-headers.eml", b"""Received: from unknown by mx.example.org; Wed, 11 Mar 2026 20:00:00 +0100
From: "Unclosed quote <bad@@example.com
To: recrutement@example.org
Subject: =?x-unknown?Q?Candidature=E9?= =?utf-8?B?invalid!!?=
Date: not a date
Message-ID: <broken-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="zz"

--zz
Content-Type: text/plain; charset=x-does-not-exist
Content-Transfer-Encoding: quoted-printable

Bonjour =E9=E8 =XX broken

--zz
Content-Type: application/pdf; name="cv.pdf"
Content-Disposition: attachment; filename="cv.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PC9UeXBlL0NhdGFsb2cvUGFnZXMgMiAwIFI+PgplbmRvYmoK!!!
""")


def english_candidate() -> None:
    simple("41-english-candidate.eml", subject="Candidature alternance comptabilité – application",
           sender="Olivia Smith <olivia.smith@example.com>",
           date="Wed, 11 Mar 2026 21:00:00 +0100", received="Wed, 11 Mar 2026 21:00:02 +0100",
           message_id="<english-1@example.com>",
           body="Dear Sir or Madam,\n\nPlease find attached my resume and my cover letter for the apprenticeship in accounting. I would be glad to meet you.\n\nKind regards,\nOlivia Smith\n",
           attachments=[("Olivia Smith - Resume.pdf", PDF, cv_pdf("Olivia Smith")),
                        ("Olivia Smith - Cover letter.pdf", PDF, letter_pdf("Olivia Smith"))])


def apple_mail_attached_in_alternative() -> None:
    """Apple Mail / iOS with a file dropped in the middle of the text: the file sits in a
    multipart/mixed that is the HTML side of the alternative, beside a plain text."""
    write("42-apple-mail-attachment-in-alternative.eml", f"""
Received: from mail.example.com by mx.example.org; Mon, 09 Mar 2026 19:12:41 +0100
From: =?utf-8?Q?In=C3=A8s_Roussel?= <ines.roussel@example.com>
Content-Type: multipart/alternative;
\tboundary="Apple-Mail=_7C2D9E14-0B3A-4F5E-8D61-2A9B3C4D5E6F"
Mime-Version: 1.0 (1.0)
Subject: Candidature chargé de mission conseils citoyens
Date: Mon, 9 Mar 2026 19:12:30 +0100
Message-Id: <5D4C3B2A-1E0F-4A9B-8C7D-6E5F4A3B2C1D@example.com>
To: {ORG}
X-Mailer: iPhone Mail (21D61)

--Apple-Mail=_7C2D9E14-0B3A-4F5E-8D61-2A9B3C4D5E6F
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
\tcharset=utf-8

{qp("Bonjour,¶¶Veuillez trouver ci-joint mon CV pour la mission conseils citoyens.¶¶¶¶Je reste à votre disposition.¶¶Inès Roussel¶")}
--Apple-Mail=_7C2D9E14-0B3A-4F5E-8D61-2A9B3C4D5E6F
Content-Type: multipart/mixed;
\tboundary="Apple-Mail=_3E4F5A6B-7C8D-4E9F-A0B1-C2D3E4F5A6B7"

--Apple-Mail=_3E4F5A6B-7C8D-4E9F-A0B1-C2D3E4F5A6B7
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html;
\tcharset=utf-8

{qp('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">Bonjour,<div><br></div><div>Veuillez trouver ci-joint mon CV pour la mission conseils citoyens.</div><div><br></div><div></div></body></html>')}
--Apple-Mail=_3E4F5A6B-7C8D-4E9F-A0B1-C2D3E4F5A6B7
Content-Disposition: inline;
\tfilename=CV.pdf
Content-Type: application/pdf;
\tx-unix-mode=0644;
\tname="CV.pdf"
Content-Transfer-Encoding: base64

{b64(cv_pdf("Inès Roussel"))}
--Apple-Mail=_3E4F5A6B-7C8D-4E9F-A0B1-C2D3E4F5A6B7
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html;
\tcharset=utf-8

{qp('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto"><div></div><div><br></div><div>Je reste à votre disposition.</div><div><br></div><div>Inès Roussel</div></body></html>')}
--Apple-Mail=_3E4F5A6B-7C8D-4E9F-A0B1-C2D3E4F5A6B7--

--Apple-Mail=_7C2D9E14-0B3A-4F5E-8D61-2A9B3C4D5E6F--
""")


def main() -> None:
    gmail_exact()
    outlook_tr_own_mail()
    thunderbird_name_in_brackets()
    iso_8859_1_subject()
    apple_mail_nested()
    iphone_html_only()
    android_plus_slug()
    plus_reference()
    gmail_forwarded_inline()
    outlook_forwarded_rfc822()
    thunderbird_forwarded_inline_fr()
    auto_reply_outlook()
    auto_reply_vacation()
    bounce()
    closed_and_deadline()
    near_misses()
    no_subject_match()
    winmail()
    corrupt_pdf()
    no_message_id()
    rfc2231_latin1_continuations()
    fix_latin1("30-rfc2231-latin1-continuations.eml")
    no_attachment()
    second_version()
    outlook_signature_images()
    address_only_sender()
    content_decides()
    other_organisation()
    photo_and_diploma()
    from_organisation()
    ambiguous()
    broken()
    english_candidate()
    apple_mail_attached_in_alternative()


if __name__ == "__main__":
    main()
