import java.util.List;

/** A small example for `transducer cpg cpg/examples/Example.java --language java`. */
public class Example {
    public int sumPositive(List<Integer> values, int limit) {
        int total = 0;
        for (int value : values) {
            if (value <= 0) {
                continue;
            } else if (total + value > limit) {
                break;
            }
            total += value;
        }
        try {
            total = Math.addExact(total, 1);
        } catch (ArithmeticException error) {
            total = limit;
        }
        return total;
    }
}
