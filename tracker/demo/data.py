"""Demo data: the three real sample offers, entered as real postings.

Transcribed from the public offers kept in the project's design notes (contacts replaced by
fictional people at example.org / example.net). Long texts are Markdown, nested lists kept.
Dates are moved into the future when the data is loaded, keeping the shape of the original
wording ("du 28 août au 27 août de l'année suivante", "3 à 6 mois entre avril et octobre").

``DEMO_PASSWORD`` is printed by ``make run``; it is the password of every demo account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tracker.accounts.models import Role
from tracker.postings.display import deadline_from_local
from tracker.postings.models import (
    ContactRole,
    ContractType,
    PayBasis,
    PayKind,
    PayPeriod,
    RemoteWork,
    WorkingTime,
)

DEMO_PASSWORD = "demo-tracker-2026"
ADMIN_EMAIL = "admin@example.org"
TIMEZONE = "Europe/Paris"

VILLES_AU_CARRE = "villes-au-carre"
RESO_VILLES = "reso-villes"

ORGANISATIONS: list[dict] = [
    {
        "slug": VILLES_AU_CARRE,
        "name": "Villes au Carré",
        "presentation": (
            "Villes au Carré est un centre de ressources et d'innovations territoriales en "
            "région Centre-Val de Loire depuis 2007. Il fait partie du réseau national des "
            "centres de ressources de la politique de la ville.\n\n"
            "Au croisement des acteurs (élu·es et professionnel·les des communes et "
            "intercommunalités, des services de l'État et du Conseil Régional, des acteurs "
            "socio-économiques et des habitant·es), Villes au Carré est spécialisé sur la "
            "revitalisation sociale, économique et urbaine des territoires fragilisés : les "
            "quartiers politique de la ville, les centres-villes ou centres-bourgs, les "
            "dynamiques citoyennes et les transitions.\n\n"
            "L'équipe est constituée de 9 personnes, soutenue par un réseau d'expert·es et de "
            "chercheur·es. Elle accueille et accompagne régulièrement des stagiaires, "
            "apprenti·es et services civiques..."
        ),
        "address": "4 allée du Plessis",
        "postal_code": "37000",
        "city": "Tours",
        "timezone": TIMEZONE,
        "locale": "fr",
    },
    {
        "slug": RESO_VILLES,
        "name": "RésO Villes",
        "presentation": (
            "RésO Villes est un centre de ressources de la politique de la ville créé il y a "
            "bientôt 20 ans en Bretagne et Pays de la Loire. Il accompagne les collectivités "
            "(villes, départements, régions), les services de l'Etat, les associations et "
            "l'ensemble des acteurs publics et privés qui agissent en lien avec les quartiers "
            "prioritaires."
        ),
        "postal_code": "44000",
        "city": "Nantes",
        "email": "recrutement@example.net",
        "timezone": TIMEZONE,
        "locale": "fr",
    },
]

# Every demo account has DEMO_PASSWORD. The admin manages both organisations; each
# organisation has one hiring lead.
USERS: list[dict] = [
    {"email": ADMIN_EMAIL, "name": "Admin Démo",
         "memberships": {VILLES_AU_CARRE: Role.ADMIN, RESO_VILLES: Role.ADMIN}},
    {"email": "claire.fontaine@example.org", "name": "Claire Fontaine",
         "memberships": {VILLES_AU_CARRE: Role.LEAD}},
    # Fictional: the RésO Villes offer names no person (only recrutement@example.net), so this
    # lead is a member of the organisation but not a contact of the offer.
    {"email": "gaelle.lefloch@example.net", "name": "Gaëlle Le Floch",
         "memberships": {RESO_VILLES: Role.LEAD}},
]


@dataclass
class Contact:
    """A person named on an offer: ``user_email`` links a demo user, otherwise external."""

    name: str
    email: str
    role: ContactRole = ContactRole.TO
    user_email: str | None = None


@dataclass
class DemoPosting:
    organisation: str
    fields: dict
    contacts: list[Contact] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.fields["title"]


def _first_after(month: int, day: int, after: date) -> date:
    """The first ``day``/``month`` strictly after ``after`` (same date, a later year)."""
    candidate = date(after.year, month, day)
    return candidate if candidate > after else date(after.year + 1, month, day)


def _end_of_day(day: date) -> datetime:
    """An inclusive deadline: the whole day, until 23:59:59 Paris time."""
    return deadline_from_local(day, None, TIMEZONE)


def postings(now: datetime) -> list[DemoPosting]:
    """The three offers, with dates computed from ``now`` (so they are always open)."""
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    return [_stage_democratie(today), _alternance_implication(today), _cdd_reso(today)]


def _stage_democratie(today: date) -> DemoPosting:
    # "Dépôt des candidatures : avant le 20 mars": an inclusive end of day, 10 days from now.
    deadline_day = today + timedelta(days=10)
    # "3 à 6 mois entre avril et octobre": the first April at least two weeks after the deadline.
    year = _first_after(4, 1, deadline_day + timedelta(days=14)).year
    return DemoPosting(
        organisation=VILLES_AU_CARRE,
        fields={
            "title": "Stage Démocratie permanente",
            "contract_type": ContractType.STAGE,
            # This older offer carries its own presentation (5 people, "depuis 12 ans").
            "presentation": (
                "Villes au Carré est un centre de ressources et d'innovations territoriales en "
                "région Centre-Val de Loire depuis 12 ans. Il fait partie du réseau national des "
                "centres de ressources de la politique de la ville. Au croisement des acteurs "
                "(élu·es et professionnel·les des communes et intercommunalités, des services de "
                "l'État et de la Région, des acteurs socio-économiques et des habitants), Villes "
                "au Carré est spécialisé sur la revitalisation sociale, économique et urbaine des "
                "territoires fragilisés : les quartiers politique de la ville, les centre-ville "
                "ou centre-bourg, les dynamiques citoyennes et les transitions. Notre équipe est "
                "constituée de 5 personnes, soutenue par un réseau d'expert·es et de "
                "chercheur·es. Elle accueille et accompagne régulièrement des stagiaires, "
                "apprenti·es et services civiques..."
            ),
            "context": (
                "Vous êtes intéressé·e par les dynamiques citoyennes et l'innovation "
                "territoriale ? Vous êtes étudiant ou étudiante en master 1 ou 2 et souhaitez "
                "faire un stage en lien avec ces thématiques dans un cadre innovant ? L'équipe "
                "de Villes au Carré, missionnée par la Région Centre-Val de Loire pour "
                "accompagner sa démarche pour faire vivre une démocratie permanente, sera "
                "heureuse de vous accueillir pour un stage de 3 à 6 mois."
            ),
            "missions": (
                "Le ou la stagiaire appuiera l'équipe de Villes au carré, la directrice adjointe "
                "et la chargée de mission participation et citoyenneté dans nos missions "
                "suivantes :\n\n"
                "- Mission d'accompagnement du réseau des Porte-Voix, activateurs de citoyenneté "
                "dans leur engagement lors du Printemps citoyen en région Centre Val de Loire "
                "(soutien pour communiquer autour de l'événement, pour l'organisation et "
                f"l'animation de rencontres, pour garder mémoire de l'édition {year} du printemps "
                "citoyen et nourrir un bilan qualitatif)\n"
                "- Mission d'appui pour la préfiguration des Assises de la Démocratie Permanente "
                f"qui se tiendront en juin {year},\n"
                "- Mission de développement du site La part citoyenne – Ma démocratie a besoin "
                "d'exercice (repérage d'initiatives en région, rédaction d'articles en lien avec "
                "l'équipe de rédaction). www.lapartcitoyenne.fr\n"
                "- Mission de préfiguration d'un laboratoire des pratiques d'implication "
                "citoyenne, ayant vocation à expérimenter et accompagner des territoires en "
                "transition en région (repérage des innovateurs démocratiques, organisation "
                "d'une première rencontre, coconstruction d'une méthode de déploiement, appel à "
                "manifestation d'intérêt pour un territoire volontaire, capitalisation de "
                "ressources)\n\n"
                "Pour en savoir plus sur les missions de Villes au Carré dans le cadre de la "
                "démocratie permanente en Centre-Val de Loire : www.lapartcitoyenne.fr\n\n"
                "Les modes d'implication auprès de l'équipe de Villes au Carré ainsi que sur les "
                "différents chantiers repérés seront précisés sur mesure avec le ou la stagiaire "
                "en fonction de son profil, des attendus de sa formation et de son projet "
                "professionnel."
            ),
            "profile": (
                "- Étudiant ou étudiante en master ingénierie de la concertation, sciences "
                "politiques, développement local, aménagement du territoire, communication, "
                "journalisme, ou sciences humaines.\n"
                "- Intérêt pour les thématiques de l'implication citoyenne et de l'innovation "
                "territoriale\n"
                "- Aisance relationnelle\n"
                "- Facilité rédactionnelle\n"
                "- Maîtrise des outils informatiques et réseaux sociaux\n"
                "- Capacité d'adaptation et de prise d'initiative\n"
                "- Le permis B serait un plus"
            ),
            "duration_min_months": 3,
            "duration_max_months": 6,
            "contract_start": date(year, 4, 1),
            "contract_end": date(year, 10, 31),
            "closure_note": (
                "Fermeture de la structure d'accueil entre le 25 juillet et le 16 août"
            ),
            "working_time": WorkingTime.FULL_TIME,
            "city": "Tours",
            "postal_code": "37000",
            "region": "Centre-Val de Loire",
            "places": (
                "Bureau permanent de Villes au Carré (4 allée du Plessis, 37000 Tours) ; "
                "ponctuellement à l'antenne de l'association à Orléans (dans les locaux du Centre "
                "régional information jeunesse, 3 rue de la Cholérie)"
            ),
            "travel": (
                "Déplacements réguliers, seul·e ou en équipe en région, pour rencontrer les "
                "partenaires des projets et suivre certains événements en région"
            ),
            "remote": RemoteWork.NONE,
            "pay_kind": PayKind.GRATIFICATION,
            "benefits": "Tickets restaurant",  # "gratification de stage et tickets restaurant"
            "asks_cv": True,
            "asks_letter": True,
            "deadline": _end_of_day(deadline_day),
            "deadline_end_of_day": True,
            "subject_line": "Candidature stagiaire démocratie permanente",
            "accepts_email": True,
            "answer_promise": True,  # "Toutes les candidatures recevront une réponse."
        },
        contacts=[
            Contact("Anne-Sophie Garnier", "annesophie.garnier@example.org"),
            Contact("Claire Fontaine", "claire.fontaine@example.org",
                    user_email="claire.fontaine@example.org"),
        ],
    )


def _alternance_implication(today: date) -> DemoPosting:
    # The sample gives no deadline (only its publication date, 16 May): 20 days from now.
    deadline_day = today + timedelta(days=20)
    # "du 28 août 2023 au 27 août 2024": the next 28 August at least two weeks after the
    # deadline, to 27 August of the year after.
    start = _first_after(8, 28, deadline_day + timedelta(days=14))
    return DemoPosting(
        organisation=VILLES_AU_CARRE,
        fields={
            "title": "Chargé·e de mission junior Implication citoyenne",
            "contract_type": ContractType.ALTERNANCE,
            # presentation: empty, the organisation's (this offer's text) is used.
            "context": (
                "Depuis 2016, Villes au Carré est subventionné par le Conseil régional pour faire "
                "vivre une démocratie permanente en Centre-Val de Loire, notamment pour "
                "l'animation du réseau régional des Porte-Voix, activateurs de citoyenneté et "
                "des projets dans lesquels ils s'impliquent.\n\n"
                "Villes au Carré est également un centre de ressource politique de la ville, et "
                "à ce titre l'équipe est en appui des acteurs en région pour le renouvellement "
                "des contrats de ville, qui se nommeront Engagements quartiers 2030. La question "
                "de l'implication des habitant·es y aura une place importante, tant sur la "
                "construction de cette politique que lors de son animation."
            ),
            "missions": (
                "L'ensemble des missions décrites ci-dessous sont supervisées par la chargée de "
                "mission dynamiques citoyennes de Villes au Carré, référente sur ce dossier en "
                "lien avec la direction. Vos missions sont :\n\n"
                "- *Accompagnement du réseau des Porte-voix vers sa maturité coopérative*\n"
                "  - Rencontres régulières en visioconférence ou en présentiel pour faire aboutir "
                "les différents projets identifiés : aide à la formalisation-capitalisation des "
                "propositions en appui à la Chargée de mission dynamiques citoyennes\n"
                "  - Aide à l'émergence et à l'animation de groupes locaux de porte-voix pour "
                "déployer le réseau sur les territoires\n"
                "- *Suivi des particules citoyennes en expérimentation*\n"
                "- *Contribution à la mise en place d'outils de suivi de la démarche "
                "«\u00a0démocratie permanente\u00a0» et à la capitalisation des avancées sur les "
                "projets et les dynamiques initiées sur le site "
                "[www.lapartcitoyenne.fr](http://www.lapartcitoyenne.fr)*\n"
                "- *Co-construction et animation avec la Région des troisièmes rencontres de la "
                "démocratie permanente et de l'éducation populaire.*\n"
                "- *Implication sur les actions de Villes au carré pour soutenir l'émergence des "
                "contrats Engagements Quartiers 2030 sur le volet participation des habitants*\n\n"
                "Vous participez aussi aux réflexions transversales engagées par l'équipe et à sa "
                "dynamique collective dans laquelle il est pleinement intégré."
            ),
            "profile": (
                "- Intérêt pour les thématiques de l'implication citoyenne et de l'innovation "
                "territoriale\n"
                "- Aisance relationnelle\n"
                "- Facilité rédactionnelle et esprit de synthèse\n"
                "- Maîtrise des outils informatiques ; réseaux sociaux et outils de "
                "visioconférence\n"
                "- Capacité d'adaptation, d'organisation, de prise d'initiative et de reporting"
            ),
            "diploma": (
                "Master 2 ingénierie de la concertation, sciences politiques, développement "
                "local, aménagement du territoire, communication, journalisme ou sciences "
                "humaines"
            ),
            "duration_min_months": 12,  # "Contrat en alternance de 1 an"
            "duration_max_months": 12,
            "contract_start": start,
            "contract_end": date(start.year + 1, 8, 27),
            "working_time": WorkingTime.FULL_TIME,
            "city": "Tours",
            "postal_code": "37000",
            "region": "Centre-Val de Loire",
            "places": "Bureaux de Villes au Carré à Tours",
            "travel": (
                "Déplacements occasionnels en région, seul·e ou en équipe, pour rencontrer les "
                "acteurs et partenaires des projets et suivre certains événements en région"
            ),
            "remote": RemoteWork.PARTIAL,
            "remote_note": (
                "Possibilité de télétravailler partiellement ou complètement si les règles "
                "sanitaires l'imposent (avec un lien quotidien à l'équipe et une organisation "
                "soutenable)"
            ),
            "pay_kind": PayKind.GRATIFICATION,
            "pay_note": "selon la législation en vigueur",
            "benefits": (
                "Remboursement des frais de déplacement professionnels, mutuelle et tickets "
                "restaurant, forfait mobilité durable"
            ),
            "asks_cv": True,
            "asks_letter": True,
            "deadline": _end_of_day(deadline_day),
            "deadline_end_of_day": True,
            "subject_line": "Candidature alternance Implication citoyenne",
            "accepts_email": True,
            "answer_promise": False,  # not promised in this offer
            "source_url": (
                "https://www.professionbanlieue.org/"
                "Un-e-charge-e-de-mission-junior-Implication-citoyenne"
            ),
        },
        contacts=[
            Contact("Claire Fontaine", "claire.fontaine@example.org",
                    user_email="claire.fontaine@example.org"),
            Contact("Inès Moreau", "ines.moreau@example.org"),
        ],
    )


def _cdd_reso(today: date) -> DemoPosting:
    # "jusqu'au 14 novembre inclus": an inclusive end of day, 30 days from now.
    deadline_day = today + timedelta(days=30)
    # "Début de mission le 10 janvier": the next 10 January at least a week after the deadline.
    start = _first_after(1, 10, deadline_day + timedelta(days=7))
    return DemoPosting(
        organisation=RESO_VILLES,
        fields={
            "title": "Chargé·e d'accompagnement des conseils citoyens de la métropole nantaise",
            "contract_type": ContractType.CDD,
            "context": (
                "Les conseils citoyens ont été mis en place par la loi de programmation pour la "
                "ville et la cohésion urbaine du 24 février 2014 (loi Lamy). Les conseils "
                "citoyens sont des instances de démocratie participative qui doivent "
                "**favoriser l'expression de la parole des habitant.e.s des quartiers**, "
                "notamment celles et ceux qui sont éloignés des processus traditionnels de "
                "participation, ainsi que **la prise en compte de leur expertise d'usage dans le "
                "cadre de la politique de la ville**. Ils ont vocation à participer pleinement à "
                "la gouvernance du contrat de ville en contribuant à chacune de ses étapes "
                "(élaboration, mise en œuvre, suivi, puis évaluation), et sur l'ensemble de ses "
                "volets, y compris en matière de renouvellement urbain.\n\n"
                "Depuis 2017, les acteurs publics – villes de Saint-Herblain, Nantes, Orvault et "
                "Rezé, Nantes Métropole et l'État – ont mis en place une expérimentation afin "
                "d'assurer l'autonomie des conseils citoyens et d'en garantir la pérennité et la "
                "vitalité. Il s'agit de mandater un acteur tiers et neutre pour accompagner les "
                "dynamiques existantes et faire émerger des conseils citoyens sur d'autres "
                "quartiers.\n\n"
                "Accompagnée et mise en œuvre sur le terrain par RésO Villes, cette "
                "expérimentation a évolué avec une augmentation du nombre de conseils citoyens "
                "(4 conseils citoyens en 2017 contre 9 en 2021).\n\n"
                "RésO Villes recrute un.e chargé.e de mission pour assurer cet accompagnement "
                "des conseils citoyens sur l'agglomération nantaise, en binôme avec la chargée "
                "de mission déjà en poste."
            ),
            "missions": (
                "En binôme avec la chargée de mission déjà en poste, et avec l'appui d'une équipe "
                "de volontaires en service civique, vous assurerez l'accompagnement des conseils "
                "citoyens déjà installés sur l'agglomération nantaise. Cet accompagnement varie "
                "selon le degré d'autonomie, les besoins et les demandes de chaque conseil "
                "citoyen. Ainsi le/la chargé.e de mission sera amené à :\n\n"
                "- **Soutenir le fonctionnement et l'autonomisation de chaque conseil citoyen**\n"
                "  - Soutenir les conseils citoyens dans leur fonctionnement quotidien "
                "(organisation logistique, relance des participant.e.s, animations de réunion, "
                "accompagnement dans la communication...)\n"
                "  - Mettre en œuvre et transmettre des outils d'animation participative ; "
                "favoriser la production collective et la participation de chacun des membres.\n"
                "  - Accompagner les conseils citoyens dans la (re)structuration de leur instance "
                "s'ils en expriment le besoin (élaboration d'une charte de fonctionnement, d'un "
                "règlement intérieur, d'outils de travail et de suivi...).\n"
                "- **Soutenir l'intégration des conseils citoyens dans le paysage local :**\n"
                "  - Accompagner le lien entre conseils citoyens et habitant.e.s de leurs "
                "quartiers : recueil de paroles, enquêtes flash, animation dans l'espace "
                "public...etc., en lien avec les volontaires en service civique.\n"
                "  - Favoriser des rencontres entre les conseils citoyens et des acteurs "
                "associatifs/techniques/politiques de leurs quartiers.\n"
                "- **Soutenir les conseils citoyens dans l'élaboration et la mise en œuvre de "
                "leurs actions :** mise en réseau avec des partenaires, méthodologie de projet, "
                "recherches de financement, prêt de matériel\n"
                "- **Etre en veille sur différents sujets qui intéressent les conseils citoyens "
                "pour leur apporter des ressources**\n\n"
                "Le/la chargé.e de mission encadrera une équipe théorique de 4 volontaires en "
                "service civique qui aura une mission de recueil de la parole habitante et "
                "d'animation dans l'espace public, en lien avec les conseils citoyens.\n\n"
                "En lien avec la chargée de mission déjà en poste, le/la chargé.e de mission "
                "assurera le suivi et la formation des volontaires tout au long de leur "
                "mission.\n\n"
                "Enfin, le/la chargée de mission viendra en appui à la chargée de mission déjà en "
                "poste pour l'organisation de rencontre et d'action inter-conseils citoyens à "
                "l'échelle métropolitaine."
            ),
            "profile": (
                "- **Compétences / savoir-faire**\n"
                "  - Savoir animer des groupes de travail et des réunions en mobilisant des "
                "outils qui favorisent la participation.\n"
                "  - Etre capable d'imaginer et d'animer des actions dans l'espace public pour "
                "créer du lien avec les habitant.e.s.\n"
                "  - Être capable d'animer et d'accompagner au montage ou à la mise en œuvre "
                "d'actions\n"
                "  - Être capable d'aller à la rencontre de différents publics, notamment les "
                "plus éloignés des institutions.\n"
                "  - Bonne maîtrise de la communication orale et écrite, bonne maîtrise "
                "bureautique\n"
                "  - Une connaissance de la Politique de la Ville est un plus.\n"
                "- **Qualités / savoir-être**\n"
                "  - Autonomie et sens du travail d'équipe, polyvalence, capacité d'initiatives "
                "et créativité."
            ),
            "diploma": "Un diplôme et/ou une expérience dans l'animation est demandée",
            "experience": "Une expérience dans l'animation de projets participatifs est un plus.",
            "duration_min_months": 12,  # "CDD 12 mois"
            "duration_max_months": 12,
            "contract_start": start,
            "working_time": WorkingTime.PART_TIME,
            "hours_per_week": Decimal(30),
            "schedule_note": "Travail possible en soirée et en week-end",
            "city": "Nantes",
            "postal_code": "44000",
            "region": "Pays de la Loire",
            "places": "Nantes et son agglomération",
            "remote": RemoteWork.NONE,
            "pay_kind": PayKind.AMOUNT,
            "pay_min": Decimal(1800),
            "pay_max": Decimal(1800),
            "pay_period": PayPeriod.MONTH,
            "pay_basis": PayBasis.GROSS,
            "benefits": "Mutuelle santé, tickets restaurant",
            "asks_cv": True,
            "asks_letter": True,
            "deadline": _end_of_day(deadline_day),
            "deadline_end_of_day": True,
            # Invented: the published offer asks for no subject line; one is needed so that
            # emailed applications find this offer.
            "subject_line": "Candidature chargé.e d'accompagnement des conseils citoyens",
            "accepts_email": True,
            "answer_promise": False,  # not promised in this offer
        },
        contacts=[
            Contact("RésO Villes – recrutement", "recrutement@example.net"),
        ],
    )
