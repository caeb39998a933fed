"""The pinned source archives the real-data builders read: Java projects on Maven Central, each with its split.

Every project publishes a ``-sources.jar`` (its main code, for code summarization) and, where it has one, a
``-test-sources.jar`` (its JUnit tests, for assert generation). Both are pinned by version and sha256. Splits are
by project, fixed here before any data was built: no project's code is in two splits. None of them is the JDK,
whose sources pretrained the shipped backbone.
"""

from __future__ import annotations

from dataclasses import dataclass

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class MavenProject:
    """One pinned project: Maven coordinates, its split, and the sha256 of its source jars."""

    group: str
    artifact: str
    version: str
    split: str
    sources_sha256: str
    #: ``None``: the project publishes no test sources (it feeds summarization only)
    test_sources_sha256: str | None

    @property
    def name(self) -> str:
        return self.artifact

    def jar_url(self, classifier: str) -> str:
        """Where Maven Central serves ``<artifact>-<version>-<classifier>.jar`` (``sources``, ``test-sources``)."""
        folder = f"{MAVEN_CENTRAL}/{self.group.replace('.', '/')}/{self.artifact}/{self.version}"
        return f"{folder}/{self.jar_name(classifier)}"

    def jar_name(self, classifier: str) -> str:
        return f"{self.artifact}-{self.version}-{classifier}.jar"


PROJECTS: tuple[MavenProject, ...] = (
    MavenProject("org.apache.commons", "commons-lang3", "3.12.0", "train",
                 "325a4551eee7d99f7616aa05b00ee3ca9d0cdc8face1b252a9864f2d945c58b3",
                 "ec663064dc8f78c27dafd19944668f26837d79506f8cbc509c163d1fa85869c4"),
    MavenProject("commons-io", "commons-io", "2.11.0", "train",
                 "8c5746d4e96ed0300a7252b1d4cb65111b19400d28a929ca8e0e4b637875f1ee",
                 "f2a695810d1ca3c2966d3f71ec4fc4182ce822a015d9cf917541ed4f4eb2fa6c"),
    MavenProject("commons-codec", "commons-codec", "1.15", "train",
                 "7019940b2298d333edb946e2db3d10f1caacbbd52bb64e85832cfd0017e049cc",
                 "cd370d693b35354351359f86a81de11aa090e10a4e95dd54337eba1141a2c89e"),
    MavenProject("commons-beanutils", "commons-beanutils", "1.9.4", "train",
                 "132c9cee7ad5045766b76e17cbf23293c873d55f041fabf0e2c3d2168efce696",
                 "5229a594210327c622936eb7fc23c75c5bca65c6b6e8c7ac4e5db27804d78529"),
    MavenProject("commons-net", "commons-net", "3.9.0", "train",
                 "b910528017f757a8b54f4e764d3e0fadccf7a25aaf2acd666674585ae6e58b55",
                 "7de0819b8f405c942fbf418b8529f600a99aa6308f3851feedad5e550f6f78e4"),
    MavenProject("org.apache.commons", "commons-collections4", "4.4", "train",
                 "93b4ff13ee810830a247dfa83bf5b73c401a591af4c11f3efb9b9da581e70452",
                 "032be6209f81134588c70ba15a4d619028e948715d871bdcbb8dec8c5c15a2cf"),
    MavenProject("org.apache.commons", "commons-text", "1.10.0", "train",
                 "e767596163da9b22e8fc83ff954e41e19e96744df7625b06f8daac3c4d60f79d",
                 "f898985ad93955366d372fb15d51213340ffd8fbc6cdb4289e448d92b612cf32"),
    MavenProject("org.apache.commons", "commons-math3", "3.6.1", "train",
                 "e2ff85a3c360d56c51a7021614a194f3fbaf224054642ac535016f118322934d",
                 "945112b6b7eb59b73c9c54717875a30c8008d91aa4491dcb35f2baf5cde2b728"),
    MavenProject("org.apache.commons", "commons-compress", "1.21", "train",
                 "f64973e7c00455e819bcf8b74dda6e91b3e09557135b11b3603c2ba7a0e5479b",
                 "0786da40ab165e03cecdf02b8e8bedfb1e659f81827594c61e622b5cdbd9cd49"),
    MavenProject("org.apache.commons", "commons-configuration2", "2.8.0", "train",
                 "7d075d6f90416032e4c9800f4aa45065e55d3d953bdc494d80fae89f0601259f",
                 "22352d835c7aef3024f1edc7601c0426f62f3362ab75d37e12bc1b05356a6946"),
    MavenProject("org.apache.commons", "commons-vfs2", "2.9.0", "train",
                 "928a8137572f9782bcea3df61b84a609acf8a002d2437eb5898c112079976d4d",
                 "fd4bfb6569bea02c2ab864453e375a78cdd9cbc1f1440067afbce76ced877429"),
    MavenProject("org.apache.commons", "commons-pool2", "2.11.1", "train",
                 "00f8a2910e6c36784384f382fb6edc61a0e856c550ee866e8d285cdd3c167111",
                 "b0363edcdbce328731baaad564e4477e69e4d619bfcb021f6cb61410d47027e3"),
    MavenProject("org.apache.commons", "commons-imaging", "1.0-alpha3", "train",
                 "0b0ee42feb6b3d1e4c9b501bb4c2e5e5a5c40880e48a8028457e8d15092b05c8",
                 "ff75bcb3738c881e9904dba6bb15983c6c91384395ac10b6e16298b0c0f97a18"),
    MavenProject("org.apache.commons", "commons-rng-core", "1.5", "train",
                 "33c758c222cc36b6f497c233c564ab8bfbab64c7e3987d25056eed83fa1fefa9",
                 "0af316b66592df615130dca4314d0072a3005c600fee78639e9f7f7686abf98b"),
    MavenProject("org.apache.commons", "commons-numbers-core", "1.1", "train",
                 "d969e6d98a42b906255dd75fbf4bd82f7e98e05036a0eb5f47b280f9ff1ac8aa",
                 "3eb22f7eee3c2838bfab1476f55d0f4e63819f2f7484e66c15d27d56625b3351"),
    MavenProject("org.apache.commons", "commons-geometry-core", "1.0", "train",
                 "72411165e683e378a92903bc6c380842f688667f0c5474e1363c9a07119fcd65",
                 "7656e3a0e4271991073a50d4ff6883f13c9edf75dae6abd49fe4b237e6a1215c"),
    MavenProject("org.apache.commons", "commons-csv", "1.10.0", "validation",
                 "94fa4e32ed1c1aeba053dfac8b69fb7f0d267a70c633ce85ed2a5fa9659be00f",
                 "585e4ac4de890b62114c7c7b5501245260e7a40c07dad746b37261aee06811e4"),
    MavenProject("commons-cli", "commons-cli", "1.5.0", "validation",
                 "ab59e7a5afa247587c30459b5184cb0f664baeb1e317e165323995783044ac79",
                 "265c18cbdf6a9f97d0ba3cc5e5f00caad03e0eb5d9a66166c5aa439061bd1ed0"),
    MavenProject("commons-validator", "commons-validator", "1.7", "validation",
                 "f3c5c975db3bfb46ee32151de9c76553a3c92ed45725afa8bdd6fb9ce553b60d",
                 "17d4ff1eb121afd13a6781f05c0bb41c82df03365d4c62bb720b01e01238c3f4"),
    MavenProject("org.apache.commons", "commons-exec", "1.3", "validation",
                 "c121d8e70010092bafc56f358e7259ac484653db595aafea1e67a040f51aea66",
                 "5e078b9c02d046bf58716c242cff48e14896dc320048a5e1bdd4c8aa719a7b4e"),
    MavenProject("org.apache.commons", "commons-jexl3", "3.3", "test",
                 "80a454d5ffa9b0dbbe4068851b4ec1a8e16ba4e4be10ba56917c09c3c4f71c51",
                 "24d9e46d9fff3408f09e80f2ebd99cd0463d231444ba34e2a7a9284abd8b0925"),
    MavenProject("org.apache.commons", "commons-dbcp2", "2.9.0", "test",
                 "7de01cc3fa613725d4e7619c8c69b0baa3fe0a17fd6eb4ac93ae7e7006881cad",
                 "e9dfdf6581b7f6128734bc24dde2febf01d659609673c30da25338c9b931faa7"),
    MavenProject("commons-fileupload", "commons-fileupload", "1.5", "test",
                 "69bf824aa0548b320ffc90c7e366781e6f5fdd24281a119aaf7f96a25096576c",
                 "d1478f2f93a757d5255089ad679820c0b13c4073467ff7b2608a20cdae3c6b26"),
    MavenProject("org.apache.commons", "commons-email", "1.5", "test",
                 "3baee5bd0c6894a079cb5e3a67d55d4ddd71678f26a2c1c2abb232a229bad559",
                 "9cc0cddee52ea8d4d5abc6073fc4e6db1e0080d926e4f4b74da622a2152fde22"),
    MavenProject("org.apache.commons", "commons-statistics-distribution", "1.0", "test",
                 "9fe228c140195a33200fca9806105967092c612b34cb9c77a92ae44cdc44691d",
                 "8df0221e62290c8d379526bbb6e40fe244ab224ee55504a40ca988938bfb9774"),
    MavenProject("com.google.guava", "guava", "32.1.2-jre", "train",
                 "f80a6cb82625d6e4834f61f131ed51e956541b4e3a029d45d02bc824b722bfcc",
                 None),
    MavenProject("com.fasterxml.jackson.core", "jackson-core", "2.15.2", "train",
                 "4b29fe878549425194521d5c3270fae13f9c82cfcad639ebffea0963431bef45",
                 None),
    MavenProject("com.fasterxml.jackson.core", "jackson-databind", "2.15.2", "train",
                 "6dafb34ba03f003c998dac3f786bcfd468dfcec39eaf465180bc433ce8566d30",
                 None),
    MavenProject("joda-time", "joda-time", "2.12.5", "train",
                 "3519a2f01eccbc00e90111c5ef9e3b4051f07e15ad4214ab2dcd6e94eca4c89b",
                 None),
    MavenProject("org.jfree", "jfreechart", "1.5.4", "train",
                 "8730a0f6e707862c77364de429cfa543362936989779a4e2bb70e27385dbbffc",
                 None),
    MavenProject("com.google.code.gson", "gson", "2.10.1", "validation",
                 "eee1cc5c1f4267ee194cc245777e68084738ef390acd763354ce0ff6bfb7bcc1",
                 None),
    MavenProject("org.jsoup", "jsoup", "1.15.3", "test",
                 "43947de5c649f3cef70dafe92741e5e09581f607b98113244f4fae3318828262",
                 None),
    MavenProject("org.joda", "joda-money", "1.0.4", "test",
                 "e47d8980472e09689356c76f04d86518a568822f5af1e92479069d7adf12624f",
                 None),
)  # fmt: skip


def check_manifest(projects: tuple[MavenProject, ...] = PROJECTS) -> None:
    """Raise ``ValueError`` if a split is unknown or a project is listed twice (splits must stay disjoint)."""
    names = [p.name for p in projects]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"projects listed more than once: {duplicated}")
    unknown = sorted({p.split for p in projects} - set(SPLITS))
    if unknown:
        raise ValueError(f"unknown splits {unknown}; use {SPLITS}")
