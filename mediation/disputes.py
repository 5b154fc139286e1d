"""Dispute types (纠纷类型) used for routing, clauses, statistics and statute filters.

Labels are user-facing text and live in the message catalogs under ``dispute.<code>``.
"""

from __future__ import annotations

from enum import StrEnum


class DisputeType(StrEnum):
    MARRIAGE_FAMILY = "marriage_family"  # 婚姻家庭
    NEIGHBOUR = "neighbour"  # 邻里纠纷
    LABOUR_WAGES = "labour_wages"  # 劳动争议/欠薪
    PRIVATE_LENDING = "private_lending"  # 民间借贷
    TRAFFIC_ACCIDENT = "traffic_accident"  # 交通事故
    PROPERTY_LEASE = "property_lease"  # 物业/租赁
    CONSUMER = "consumer"  # 消费纠纷
    INJURY_DAMAGE = "injury_damage"  # 人身/财产损害
    LAND_HOUSING = "land_housing"  # 土地/房屋
    OTHER = "other"  # 其他


#: Routes other than people's mediation, per dispute type, shown when mediation is refused or
#: fails. Keys are catalog keys under ``route.``.
OTHER_ROUTES: dict[DisputeType, tuple[str, ...]] = {
    DisputeType.MARRIAGE_FAMILY: ("litigation", "legal_aid", "womens_federation"),
    DisputeType.NEIGHBOUR: ("litigation", "administrative", "legal_aid"),
    DisputeType.LABOUR_WAGES: ("labour_arbitration", "labour_inspection", "legal_aid"),
    DisputeType.PRIVATE_LENDING: ("litigation", "payment_order", "legal_aid"),
    DisputeType.TRAFFIC_ACCIDENT: ("traffic_police", "litigation", "insurance", "legal_aid"),
    DisputeType.PROPERTY_LEASE: ("litigation", "arbitration", "administrative", "legal_aid"),
    DisputeType.CONSUMER: ("consumer_association", "market_regulation", "litigation"),
    DisputeType.INJURY_DAMAGE: ("litigation", "police", "legal_aid"),
    DisputeType.LAND_HOUSING: ("administrative", "litigation", "legal_aid"),
    DisputeType.OTHER: ("litigation", "arbitration", "legal_aid"),
}
