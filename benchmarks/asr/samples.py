"""Mandarin test speech made offline with espeak-ng (Debian's ``espeak-ng`` package).

Why pinyin and the ``cmn-latn-pinyin`` voice, not ``-v cmn`` on the characters: Debian 12's
espeak-ng 1.51 looks characters up in ``cmn_dict`` as tone-numbered pinyin and then reads most
tone digits as English words (``espeak-ng -v cmn -x 我的邻居`` gives "wo de-five lin-two ju-one"),
so Whisper hears English numbers. Given the same pinyin directly, the ``cmn-latn-pinyin`` voice
speaks the syllables with their tones. The pinyin below was written by hand for each sentence
(dictionary tones, no sandhi); the characters are the reference the transcript is scored on.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

VOICE = "cmn-latn-pinyin"
SPEED = 140  # words per minute; espeak's default 175 is hurried for its Mandarin


@dataclass(frozen=True)
class Sample:
    key: str
    text: str
    pinyin: str


SENTENCES: tuple[Sample, ...] = (
    Sample("debt", "我的邻居欠我五千元", "wo3 de5 lin2 ju1 qian4 wo3 wu3 qian1 yuan2"),
    Sample("window", "他把我家的窗户打破了", "ta1 ba3 wo3 jia1 de5 chuang1 hu4 da3 po4 le5"),
    Sample("repay", "我希望他今天还钱", "wo3 xi1 wang4 ta1 jin1 tian1 huan2 qian2"),
    Sample("agree", "我们同意调解", "wo3 men5 tong2 yi4 tiao2 jie3"),
    Sample(
        "wages", "老板拖欠了三个月的工资", "lao3 ban3 tuo1 qian4 le5 san1 ge4 yue4 de5 gong1 zi1"
    ),
    Sample("noise", "楼上每天晚上都很吵", "lou2 shang4 mei3 tian1 wan3 shang4 dou1 hen3 chao3"),
    Sample("instalments", "我愿意分两次还款", "wo3 yuan4 yi4 fen1 liang3 ci4 huan2 kuan3"),
    Sample(
        "help",
        "请调解员帮我们解决这个问题",
        "qing3 tiao2 jie3 yuan2 bang1 wo3 men5 jie3 jue2 zhe4 ge4 wen4 ti2",
    ),
    Sample("deposit", "房东不退押金", "fang2 dong1 bu4 tui4 ya1 jin1"),
    Sample("plan", "我同意这个方案", "wo3 tong2 yi4 zhe4 ge4 fang1 an4"),
    Sample("dog", "他的狗咬伤了我的孩子", "ta1 de5 gou3 yao3 shang1 le5 wo3 de5 hai2 zi5"),
    Sample("tomorrow", "我们明天下午再谈", "wo3 men5 ming2 tian1 xia4 wu3 zai4 tan2"),
    # Issue 23: amounts and dates as parties say them (a blindly confirmed "反共不对我两千块
    # 亚金…" entered a record).
    Sample("owed", "他欠我两千块押金", "ta1 qian4 wo3 liang3 qian1 kuai4 ya1 jin1"),
    Sample("payday", "工资每个月十五号发", "gong1 zi1 mei3 ge4 yue4 shi2 wu3 hao4 fa1"),
    Sample("amount", "我不同意这个赔偿金额", "wo3 bu4 tong2 yi4 zhe4 ge4 pei2 chang2 jin1 e2"),
    Sample("month_end", "请在月底之前付清", "qing3 zai4 yue4 di3 zhi1 qian2 fu4 qing1"),
)


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(sample: Sample, wav: Path, *, speed: int = SPEED, variant: str = "") -> Path:
    """Write ``sample`` as a 22.05 kHz mono WAV file with espeak-ng (``variant``: one of
    espeak's voice variants, e.g. ``f3``, a higher voice)."""
    voice = f"{VOICE}+{variant}" if variant else VOICE
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), sample.pinyin],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return wav
