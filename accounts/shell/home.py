"""Home, assembled from the cards the apps register.

The shell does not know what the apps built on it show. An app registers a
``HomeCard`` (in its ``AppConfig.ready()``), the way an app's ``admin.py`` registers
its models with the backoffice: Home builds each card an admin's roles allow, in
``order``, and renders it where the shell's layout puts it. A card's ``build`` gets
the request and returns what its templates show, or ``None`` to show nothing; its
``alerts_template`` (optional) is rendered at the top of Home, in the alerts region,
with the same value, and its ``template`` below it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from accounts.permissions import Action


@dataclass(frozen=True)
class HomeCard:
    name: str
    build: Callable[[HttpRequest], object | None]
    template: str
    alerts_template: str = ""
    action: str = Action.USE_CONSOLE
    order: int = 100


@dataclass(frozen=True)
class BuiltCard:
    name: str
    value: object
    template: str
    alerts_template: str


_CARDS: dict[str, HomeCard] = {}


def home_card_register(card: HomeCard) -> None:
    """Add (or replace, by name) a card on Home."""
    _CARDS[card.name] = card


def home_cards_for(request: HttpRequest) -> list[BuiltCard]:
    """The cards this admin may see and that have something to show, in order."""
    built = []
    for card in sorted(_CARDS.values(), key=lambda c: (c.order, c.name)):
        if not request.user.has_action(card.action):
            continue
        value = card.build(request)
        if value is not None:
            built.append(BuiltCard(card.name, value, card.template, card.alerts_template))
    return built
