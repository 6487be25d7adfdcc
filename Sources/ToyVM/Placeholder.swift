public enum ToyVMPlaceholder {}
