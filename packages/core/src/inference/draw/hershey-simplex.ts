import { roundHalfEven } from '../letterbox.js';

/**
 * Hershey "Roman simplex" glyphs for ASCII 32–126 — the stroke font OpenCV's `FONT_HERSHEY_SIMPLEX`
 * draws with, so labels look like the origin's without depending on system fonts. Each glyph: left and
 * right bearing, then vertices, coordinates as characters offset from `R`, `" R"` lifting the pen.
 *
 * The Hershey Fonts were originally created by Dr. A. V. Hershey while working at the U. S. National
 * Bureau of Standards. The format of the font data was originally created by James Hurt, Cognition,
 * Inc. Data from the `futural.jhf` distribution (https://github.com/kamalmostafa/hershey-fonts).
 */
const GLYPHS: readonly string[] = [
  "JZ", "MWRFRT RRYQZR[SZRY", "JZNFNM RVFVM", "H]SBLb RYBRb RLOZO RKUYU",
  "H\\PBP_ RTBT_ RYIWGTFPFMGKIKKLMMNOOUQWRXSYUYXWZT[P[MZKX", "F^[FI[ RNFPHPJOLMMKMIKIIJGLFNFPGSHVHYG[F RWTUUTWTYV[X[ZZ[X[VYTWT", "E_\\O\\N[MZMYNXPVUTXRZP[L[JZIYHWHUISJRQNRMSKSIRGPFNGMIMKNNPQUXWZY[[[\\Z\\Y", "MWRHQGRFSGSIRKQL",
  "KYVBTDRGPKOPOTPYR]T`Vb", "KYNBPDRGTKUPUTTYR]P`Nb", "JZRLRX RMOWU RWOMU", "E_RIR[ RIR[R",
  "NVSWRXQWRVSWSYQ[", "E_IR[R", "NVRVQWRXSWRV", "G][BIb",
  "H\\QFNGLJKOKRLWNZQ[S[VZXWYRYOXJVGSFQF", "H\\NJPISFS[", "H\\LKLJMHNGPFTFVGWHXJXLWNUQK[Y[", "H\\MFXFRNUNWOXPYSYUXXVZS[P[MZLYKW",
  "H\\UFKTZT RUFU[", "H\\WFMFLOMNPMSMVNXPYSYUXXVZS[P[MZLYKW", "H\\XIWGTFRFOGMJLOLTMXOZR[S[VZXXYUYTXQVOSNRNOOMQLT", "H\\YFO[ RKFYF",
  "H\\PFMGLILKMMONSOVPXRYTYWXYWZT[P[MZLYKWKTLRNPQOUNWMXKXIWGTFPF", "H\\XMWPURRSQSNRLPKMKLLINGQFRFUGWIXMXRWWUZR[P[MZLX", "NVROQPRQSPRO RRVQWRXSWRV", "NVROQPRQSPRO RSWRXQWRVSWSYQ[",
  "F^ZIJRZ[", "E_IO[O RIU[U", "F^JIZRJ[", "I[LKLJMHNGPFTFVGWHXJXLWNVORQRT RRYQZR[SZRY",
  "E`WNVLTKQKOLNMMPMSNUPVSVUUVS RQKOMNPNSOUPV RWKVSVUXVZV\\T]Q]O\\L[JYHWGTFQFNGLHJJILHOHRIUJWLYNZQ[T[WZYYZX RXKWSWUXV", "I[RFJ[ RRFZ[ RMTWT", "G\\KFK[ RKFTFWGXHYJYLXNWOTP RKPTPWQXRYTYWXYWZT[K[", "H]ZKYIWGUFQFOGMILKKNKSLVMXOZQ[U[WZYXZV",
  "G\\KFK[ RKFRFUGWIXKYNYSXVWXUZR[K[", "H[LFL[ RLFYF RLPTP RL[Y[", "HZLFL[ RLFYF RLPTP", "H]ZKYIWGUFQFOGMILKKNKSLVMXOZQ[U[WZYXZVZS RUSZS",
  "G]KFK[ RYFY[ RKPYP", "NVRFR[", "JZVFVVUYTZR[P[NZMYLVLT", "G\\KFK[ RYFKT RPOY[",
  "HYLFL[ RL[X[", "F^JFJ[ RJFR[ RZFR[ RZFZ[", "G]KFK[ RKFY[ RYFY[", "G]PFNGLIKKJNJSKVLXNZP[T[VZXXYVZSZNYKXIVGTFPF",
  "G\\KFK[ RKFTFWGXHYJYMXOWPTQKQ", "G]PFNGLIKKJNJSKVLXNZP[T[VZXXYVZSZNYKXIVGTFPF RSWY]", "G\\KFK[ RKFTFWGXHYJYLXNWOTPKP RRPY[", "H\\YIWGTFPFMGKIKKLMMNOOUQWRXSYUYXWZT[P[MZKX",
  "JZRFR[ RKFYF", "G]KFKULXNZQ[S[VZXXYUYF", "I[JFR[ RZFR[", "F^HFM[ RRFM[ RRFW[ R\\FW[",
  "H\\KFY[ RYFK[", "I[JFRPR[ RZFRP", "H\\YFK[ RKFYF RK[Y[", "KYOBOb RPBPb ROBVB RObVb",
  "KYKFY^", "KYTBTb RUBUb RNBUB RNbUb", "JZRDJR RRDZR", "I[Ib[b",
  "NVSKQMQORPSORNQO", "I\\XMX[ RXPVNTMQMONMPLSLUMXOZQ[T[VZXX", "H[LFL[ RLPNNPMSMUNWPXSXUWXUZS[P[NZLX", "I[XPVNTMQMONMPLSLUMXOZQ[T[VZXX",
  "I\\XFX[ RXPVNTMQMONMPLSLUMXOZQ[T[VZXX", "I[LSXSXQWOVNTMQMONMPLSLUMXOZQ[T[VZXX", "MYWFUFSGRJR[ ROMVM", "I\\XMX]W`VaTbQbOa RXPVNTMQMONMPLSLUMXOZQ[T[VZXX",
  "I\\MFM[ RMQPNRMUMWNXQX[", "NVQFRGSFREQF RRMR[", "MWRFSGTFSERF RSMS^RaPbNb", "IZMFM[ RWMMW RQSX[",
  "NVRFR[", "CaGMG[ RGQJNLMOMQNRQR[ RRQUNWMZM\\N]Q][", "I\\MMM[ RMQPNRMUMWNXQX[", "I\\QMONMPLSLUMXOZQ[T[VZXXYUYSXPVNTMQM",
  "H[LMLb RLPNNPMSMUNWPXSXUWXUZS[P[NZLX", "I\\XMXb RXPVNTMQMONMPLSLUMXOZQ[T[VZXX", "KXOMO[ ROSPPRNTMWM", "J[XPWNTMQMNNMPNRPSUTWUXWXXWZT[Q[NZMX",
  "MYRFRWSZU[W[ ROMVM", "I\\MMMWNZP[S[UZXW RXMX[", "JZLMR[ RXMR[", "G]JMN[ RRMN[ RRMV[ RZMV[",
  "J[MMX[ RXMM[", "JZLMR[ RXMR[P_NaLbKb", "J[XMM[ RMMXM RM[X[", "KYTBRCQDPFPHQJRKSMSOQQ RRCQEQGRISJTLTNSPORSTTVTXSZR[Q]Q_Ra RQSSUSWRYQZP\\P^Q`RaTb",
  "NVRBRb", "KYPBRCSDTFTHSJRKQMQOSQ RRCSESGRIQJPLPNQPURQTPVPXQZR[S]S_Ra RSSQUQWRYSZT\\T^S`RaPb", "F^IUISJPLONOPPTSVTXTZS[Q RISJQLPNPPQTTVUXUZT[Q[O",
];

const R = 82; // 'R'
/** OpenCV's simplex metrics: cap height 12 and descent 9 font units above/below the baseline. */
const CAP_LINE = 12;
const BASE_LINE = 9;

function glyph(char: string): string {
  const code = char.charCodeAt(0);
  return GLYPHS[code >= 32 && code <= 126 ? code - 32 : 31]!; // '?' for anything else, as OpenCV does
}

/** Text size as OpenCV's `getTextSize` reports it for the simplex font (`baseline` below the origin). */
export function measureText(text: string, scale: number, thickness: number): { width: number; height: number; baseline: number } {
  let advance = 0;
  for (const char of text) {
    const g = glyph(char);
    advance += g.charCodeAt(1) - g.charCodeAt(0);
  }
  return {
    width: roundHalfEven(advance * scale + thickness),
    height: roundHalfEven((CAP_LINE + BASE_LINE) * scale + Math.floor((thickness + 1) / 2)),
    baseline: roundHalfEven(BASE_LINE * scale + thickness * 0.5),
  };
}

/**
 * Calls `stroke` with each pen-down polyline (flat `x, y` pixel coordinates) of `text` drawn with its
 * baseline-left at (`x`, `y`), as OpenCV's `putText` places the simplex glyphs.
 */
export function forEachTextStroke(text: string, origin: { x: number; y: number; scale: number }, stroke: (points: number[]) => void): void {
  const { scale } = origin;
  let viewX = origin.x;
  const viewY = origin.y - BASE_LINE * scale;
  for (const char of text) {
    const g = glyph(char);
    viewX -= (g.charCodeAt(0) - R) * scale;
    let points: number[] = [];
    for (let k = 2; k <= g.length; k += 2) {
      if (k === g.length || g[k] === ' ') {
        if (points.length > 2) stroke(points);
        points = [];
        continue;
      }
      points.push((g.charCodeAt(k) - R) * scale + viewX, (g.charCodeAt(k + 1) - R) * scale + viewY);
    }
    viewX += (g.charCodeAt(1) - R) * scale;
  }
}
