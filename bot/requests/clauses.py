"""The policy's own words that requests quote on their forms and cards, verbatim, with their references.

A test checks that every quote here is found, word for word, in the shipped clause files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    ref: str  # "Taber 1.05(b)"
    text: str  # the policy's words, as written

    def quoted(self) -> str:
        """As a mrkdwn quote with its reference (the text is ours, so it needs no escaping beyond `&<>`)."""
        body = self.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f">{body}\n>— _{self.ref}_"


ACCESS_FROM_DIRECTOR = Clause(
    "Taber 1.05(a)",
    "An employee who does not have regular authorized use of Town social media sites may request "
    "permission from their Director to conduct Town business using social media platforms.",
)
ACCESS_CAO = Clause(
    "Taber 1.05(b)",
    "The Director must obtain approval from the Chief Administrative Officer to allow an employee access "
    "to Town social media sites.",
)
ACCESS_NOTIFY = Clause(
    "Taber 1.05(c)",
    "The Director, upon granting permission to their employee, will notify the Information Technology "
    "department and Communication Coordinator in writing indicating approval, the social media platform, "
    "the name of the employee and the anticipated time frame.",
)
ACCESS_PROVISION = Clause(
    "Taber 1.05(e)",
    "The Information Technology Department will establish access for the applicable employees to the "
    "targeted social media site and make exceptions in the firewall, proxy, or Web content filter rules as "
    "necessary.",
)
ACCESS_USER_ID = Clause(
    "Taber 1.05(f)",
    "The Information Technology department will create a user ID on the targeted social media service "
    "using the employee's corporate e-mail address and will communicate the initial account password to "
    "the employee.",
)
ACCESS_TRAINING = Clause(
    "Taber 1.05(h)",
    "The employee must receive training from Communications on the particular social media account(s) "
    "they are accessing prior to being allowed access or commencing work on the accounts.",
)
SHARE_DEFAULT = Clause(
    "Taber 1.04(s)",
    "These requests shall be deferred to other communications channels the Town is able to provide "
    "(i.e.: Corn Husk Chronicles, Community Centre LED Sign, etc.) or to other community advertising "
    "channels as appropriate.",
)
SHARE_NOTICE = Clause(
    "Middlesex “Sharing/Following”",
    "must be received by the municipality a minimum of 2 weeks prior to the event.",
)
SHARE_FUNDRAISER = Clause(
    "Middlesex “Sharing/Following”",
    "The municipality will not share/promote fundraising events, sales, calls for online donations, or "
    "similar efforts made by an individual or group of individuals that is not linked to a community "
    "organization or recognized charity.",
)
ELECTION_CAO = Clause(
    "Taber 1.04(p)",
    "the staff member is required to notify the Chief Administrative Officer immediately.",
)
ELECTION_NO_CAMPAIGN = Clause(
    "Westlock 9.2",
    "The Town's website and social media channels will not be used as a discussion tool or a campaign "
    "platform in support of or against any candidate or party.",
)
ACCOUNT_CAO = Clause(
    "Taber 1.02(d)",
    "Any Department Director who wishes to create their own social media profiles for their department "
    "must have the approval of the Chief Administrative Officer. Information Technology and the "
    "Communications Coordinator must also be made aware of the new profiles.",
)
ACCOUNT_CRITERIA = Clause(
    "Westlock 5.3",
    "Criteria for adopting new social media platforms or establishing new profiles shall be approved by "
    "the CAO or designate(s), and will require:",
)
PHOTO_APPROVAL = Clause(
    "Taber 1.04(d)",
    "Any photos must be approved by the Department Director or Communications Coordinator before they "
    "are posted to social media sites.",
)
PHOTO_EMERGENCY = Clause(
    "Westlock 8.2",
    "During an emergency, employees, contractors, and volunteers cannot take photos or videos of incident "
    "scenes, emergency response apparatus, employees engaged in the incident and civilians who may or may "
    "not be involved.",
)
PHOTO_EMERGENCY_EXCEPTION = Clause(
    "Westlock 8.2.1.2",
    "Approved photos or videos are not to be shared on personal social media or through any Town social "
    "media platforms, unless express written approval with a valid explanation for the use has been given "
    "by the CAO, Directors, or Fire Chief.",
)
PHOTO_CONSENT = Clause(
    "Taber 1.07(b)(v)",
    "Photos of the workplace and/or field work without prior consent or knowledge of those being "
    "photographed;",
)

ALL = (
    ACCESS_FROM_DIRECTOR,
    ACCESS_CAO,
    ACCESS_NOTIFY,
    ACCESS_PROVISION,
    ACCESS_USER_ID,
    ACCESS_TRAINING,
    SHARE_DEFAULT,
    SHARE_NOTICE,
    SHARE_FUNDRAISER,
    ELECTION_CAO,
    ELECTION_NO_CAMPAIGN,
    ACCOUNT_CAO,
    ACCOUNT_CRITERIA,
    PHOTO_APPROVAL,
    PHOTO_EMERGENCY,
    PHOTO_EMERGENCY_EXCEPTION,
    PHOTO_CONSENT,
)
