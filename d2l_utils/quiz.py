"""A short multiple-choice quiz at the end of every notebook (01-08): ``quiz("05")``.

The questions live here as data (``QUIZZES``), so that the tests can check them. A :class:`Quiz` shows
itself in three ways:

* in JupyterLab and on the static course site, as HTML: every option is a ``<details>`` element, and
  clicking it reveals "✔ Correct: why" or "✘ Not quite: a hint". This needs no JavaScript and no widget
  manager, and ``<details>`` survives JupyterLab's sanitiser of untrusted notebooks;
* as plain text (``repr``) where HTML cannot be shown, listing questions and options;
* with ``quiz("05").answer(1, "B")``, which prints the feedback for option B of question 1.

The output is the same on every run, so the stored cell outputs can be compared by nbval.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = ["Option", "Question", "Quiz", "QUIZZES", "quiz"]

LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class Option:
    """One answer to a question, whether it is right, and the feedback shown when it is picked."""

    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[Option, ...]


def _q(text: str, *options: tuple[str, bool, str]) -> Question:
    return Question(text, tuple(Option(*option) for option in options))


QUIZZES: dict[str, list[Question]] = {
    "01": [
        _q("A 28×28 image is flattened row by row. How far apart in the vector are a pixel and the pixel "
           "just below it?",
           ("1 position", False, "That is the neighbour to the right."),
           ("784 positions", False, "784 is the length of the whole vector: 28 × 28."),
           ("28 positions", True, "A whole row of 28 pixels lies between them, so the linear layer sees "
                                  "two neighbours as distant inputs."),
           ("It depends on the pixel", False, "Every row holds 28 pixels, so the distance is the same "
                                              "everywhere.")),
        _q("A 5×5 convolution with 6 output channels has 156 parameters on a 28×28 grey image. How many "
           "does it have on a 224×224 grey image?",
           ("64 times as many: the image has 64 times as many pixels", False,
            "The kernel does not grow with the image: the same 6 kernels slide over every position."),
           ("Still 156", True, "Weight sharing: one small kernel per channel is reused at every position, "
                               "so the count does not depend on the image size."),
           ("About six million, like a linear layer to 120 outputs", False,
            "That is the fully connected layer, with one weight per pixel and output."),
           ("It depends on the padding", False, "Padding changes the size of the output, not the "
                                                "kernels.")),
        _q("What does `nn.Conv2d` compute for one output value?",
           ("The matrix product of the image patch and the kernel", False,
            "Not a matrix product: the patch and the kernel are multiplied element by element, then "
            "summed."),
           ("The largest value of the patch under the kernel", False, "That is max pooling."),
           ("The sum of the patch times the kernel, element by element", True,
            "Strictly a cross-correlation: libraries skip the kernel flip of a mathematical convolution, "
            "which does not matter for learned kernels.")),
        _q("You shift an image 3 pixels down and 2 to the right. What happens to a convolution's feature "
           "map, away from the border?",
           ("It stays exactly the same", False, "That would be invariance. A convolution is equivariant: "
                                                "its response moves with the object."),
           ("It changes in an unrelated way", False, "That is what a fully connected layer does, with its "
                                                     "own weights for every pixel."),
           ("It shifts 3 down and 2 to the right as well", True,
            "The same kernel is used at every position, so the response moves with the input "
            "(translation equivariance)."),
           ("It shifts, but only if the kernel is symmetric", False,
            "Equivariance comes from weight sharing and holds for every kernel.")),
    ],
    "02": [
        _q("Which pooling does LeNet use, like the original LeNet-5?",
           ("Max pooling", False, "Max pooling is the later, modern choice (notebook 06); the source "
                                  "tutorial's conclusion got this wrong."),
           ("Average pooling", True, "LeNet-5's subsampling layers summed each 2×2 window and scaled it "
                                     "(an average, up to a trainable factor); `nn.AvgPool2d` averages "
                                     "with no parameters."),
           ("No pooling: strided convolutions", False, "LeNet has two pooling layers, one after each "
                                                       "convolution.")),
        _q("Where are most of LeNet's 61,706 parameters?",
           ("In the two convolutions", False, "They hold only 2,572: weight sharing keeps them small."),
           ("In the pooling layers", False, "Pooling layers have no parameters."),
           ("In the last linear layer (84 → 10)", False, "That one has only 850."),
           ("In the first linear layer (400 → 120)", True,
            "48,120 of them: it connects each of the 400 flattened values to each of its 120 outputs.")),
        _q("Why does LeNet flatten with `nn.Flatten` rather than `x.view(n, -1)`?",
           ("`view` fails on tensors whose memory is not in that order; `nn.Flatten` reshapes and "
            "copies when it must", True, "A channels-last batch, for example, breaks a `view`-based "
                                         "flatten, but not `nn.Flatten`."),
           ("`nn.Flatten` is faster because it never copies", False,
            "It copies when a view is impossible; `view` never copies, but fails then."),
           ("`view` puts the values in a different order", False,
            "When it works, `view` gives the same values in the same order; the trouble is that it can "
            "fail.")),
        _q("What are the 10 numbers that LeNet's last layer outputs?",
           ("Probabilities that sum to 1", False, "There is no softmax layer: the cross-entropy loss "
                                                  "applies softmax internally."),
           ("Distances to a prototype of each class", False,
            "That was LeNet-5's RBF output layer; ours is a linear layer trained with cross-entropy."),
           ("Raw scores (logits), one per class", True,
            "After training, the class with the largest score is the prediction; softmax turns the "
            "scores into probabilities.")),
    ],
    "03": [
        _q("A 5×5 convolution without padding and with stride 1 reads a 14×14 map. What size is its "
           "output?",
           ("9×9", False, "A k×k window loses k − 1 rows and columns, not k."),
           ("10×10", True, "14 − (5 − 1) = 10, as in LeNet's second convolution."),
           ("14×14", False, "Keeping the size needs padding (k − 1)/2 = 2."),
           ("7×7", False, "Halving is what 2×2 pooling with stride 2 does.")),
        _q("How many values per image reach LeNet's first linear layer?",
           ("16", False, "That is only the number of channels; each channel is a 5×5 map."),
           ("120", False, "That is the first linear layer's output."),
           ("784", False, "That is the input image, 28 × 28."),
           ("400", True, "16 channels × 5 × 5 after the second pooling.")),
        _q("Output size for n = 8, kernel 3, stride 2, no padding?",
           ("3", True, "⌊(8 − 3)/2⌋ + 1 = 3: a window starting at column 6 would need column 8, which "
                       "does not exist."),
           ("3.5", False, "Sizes are whole numbers: the formula takes the floor."),
           ("4", False, "Rounding up would count a window that sticks out of the input."),
           ("6", False, "That ignores the stride: with stride 2 the window skips every other "
                        "position.")),
        _q("You give LeNet's second convolution a 3×3 kernel and change nothing else. What happens?",
           ("The second pooling fails: 12×12 cannot be halved", False, "12 halves to 6 without "
                                                                       "trouble."),
           ("Nothing: `nn.Linear` adapts to its input", False,
            "A linear layer's weight matrix has a fixed number of inputs."),
           ("The first linear layer fails: it expects 400 values and gets more", True,
            "Changing a convolution changes the flattened size, and the first linear layer must match "
            "it.")),
    ],
    "04": [
        _q("How do the iterators keep the Fashion-MNIST images in memory?",
           ("As `float32` in [0, 1]", False, "That would take four times the memory; the conversion "
                                             "happens batch by batch."),
           ("As bytes (`uint8`, 0–255), converted to `float32` in [0, 1] per batch", True,
            "One byte per pixel in memory; each mini-batch is scaled when it is read."),
           ("As image files, decoded when read", False,
            "The images are held as one tensor of bytes; notebook 08 times the decode-per-image "
            "alternative.")),
        _q("Batch size 256 on 60,000 training images gives:",
           ("234 batches; the last 96 images are dropped", False,
            "The last, incomplete batch is kept."),
           ("235 batches, all of 256 images", False, "60,000 is not a multiple of 256."),
           ("235 batches, the last one with 96 images", True, "234 full batches hold 59,904 images; "
                                                              "the remaining 96 form the last one."),
           ("234.375 batches", False, "Batches are counted whole: round up.")),
        _q("Why show labels as class names rather than bare numbers?",
           ("The network needs the names to train", False,
            "The network trains on the integer labels; the names are for people."),
           ("People read and check names at a glance; bare numbers hide mistakes", True,
            "\"Ankle boot\" under an image of a boot is easy to check; 9 is not."),
           ("Numbers are not unique", False, "Each class has exactly one number, 0 to 9.")),
        _q("In this collection's figures of signed values (kernels, feature maps, differences), what "
           "does red mean?",
           ("A bright pixel", False, "Images use the gray colour map: 0 black, 1 white."),
           ("A large value, positive or negative", False,
            "The colour keeps the sign: blue is negative, white is zero."),
           ("A positive value", True, "Red is positive and blue negative, on a scale centred on 0 "
                                      "and shared by the whole figure.")),
    ],
    "05": [
        _q("Which statement about cross-entropy is true?",
           ("The larger it is, the closer the prediction is to the truth", False,
            "It is the other way round (the source tutorial got this wrong): it is smallest when the "
            "prediction puts all its probability on the true class."),
           ("The lower it is, the closer; a uniform guess over ten classes scores ln 10 ≈ 2.30", True,
            "For one example it is −log of the probability given to the true class."),
           ("It never exceeds 1", False, "−log q grows without bound as q goes to 0.")),
        _q("A training loop prints a loss of 0.009 in the first epoch of an untrained LeNet. What went "
           "wrong?",
           ("Nothing: the network is already good", False, "An untrained network's mean loss is about "
                                                           "ln 10 ≈ 2.30 per example."),
           ("The learning rate is too large", False, "Too large a learning rate makes the loss jump or "
                                                     "grow; it cannot make it tiny from the start."),
           ("It divided a sum of batch means by the number of examples", True,
            "That is the mean loss divided by the batch size once more. Report the mean loss per "
            "example.")),
        _q("Why does the classic sigmoid LeNet spend its first epoch near chance?",
           ("Its sigmoids are saturated, stuck near 0 or 1", False,
            "Measured in section 6: with Xavier initialisation they work near 0, at their largest "
            "slope."),
           ("Small gradients: four sigmoids of slope at most 0.25, while Xavier assumes slope 1", True,
            "The gradient shrinks on its way back, so the first layers learn slowly."),
           ("The learning rate 0.9 is too large", False,
            "0.9 makes up in part for the small gradients; a smaller rate starts even more slowly."),
           ("The training data is not shuffled", False, "The training iterator is shuffled anew every "
                                                        "epoch.")),
        _q("Why do we call `net.eval()` and use `torch.no_grad()` to measure accuracy?",
           ("`no_grad` makes the accuracy more exact", False,
            "It only saves memory and time; the scores are the same."),
           ("`eval()` freezes the weights", False,
            "Weights change only when an optimiser steps; `eval()` changes how some layers behave."),
           ("`eval()` switches layers such as dropout and batch norm to evaluation behaviour; "
            "`no_grad` keeps nothing for a backward pass", True,
            "Measuring must neither change the network nor pay for gradients.")),
        _q("On a Mac with Apple silicon and no CUDA GPU, what does `try_gpu()` return?",
           ("The MPS device", True, "CUDA comes first, then Apple's MPS, then the CPU."),
           ("The CPU", False, "The CPU is the last resort, after CUDA and MPS."),
           ("cuda:0", False, "There is no CUDA GPU on such a Mac.")),
    ],
    "06": [
        _q("In the short ablation with SGD at learning rate 0.9, which change is the first that "
           "learns?",
           ("ReLU", False, "With ReLU the gradients keep their size, and 0.9 becomes far too large a "
                           "step: the net stays near chance."),
           ("Max pooling", False, "Max pooling does not help with SGD at 0.9 either."),
           ("Batch norm", True, "It keeps every layer's outputs and gradients at a healthy scale, which "
                                "makes a large learning rate usable."),
           ("Input normalisation", False, "Still at or near chance with SGD at 0.9.")),
        _q("Label smoothing of 0.1 makes the target of a ten-class example:",
           ("0.9 on the true class and 0.1 on one other class", False,
            "The tenth of the probability is spread evenly, not given to one class."),
           ("0.9 on the true class and 0.1/9 on each other class", False,
            "The tenth is spread over all ten classes, the true one included."),
           ("0.91 on the true class and 0.01 on each of the others", True,
            "0.9 + 0.1/10 on the true class, 0.1/10 elsewhere: the network is not pushed towards "
            "infinite confidence.")),
        _q("Why random horizontal flips, but no vertical ones?",
           ("A mirrored garment is still the same garment; an upside-down one never occurs in the "
            "data", True, "The label stays right, and the network sees more variety without being "
                          "taught anything false."),
           ("Vertical flips are slower to compute", False, "Both cost the same; the reason is what the "
                                                           "images show."),
           ("Horizontal flips change the label", False, "A mirrored shoe is still a shoe.")),
        _q("After 2 short epochs on 5,000 images, variant A is 0.02 ahead of variant B. What can you "
           "conclude?",
           ("A will also be better after 10 epochs", False,
            "Short runs measure how fast training gets going, not how good a variant ends up."),
           ("Little: with one seed per run, a difference of a few points is noise", True,
            "Say how short a run was, and repeat with other seeds before ranking."),
           ("B overfits", False, "A run this short cannot show overfitting.")),
        _q("How does the modern LeNet's parameter count compare with the classic one's?",
           ("About the same", True, "Batch norm adds a scale and a shift per channel, and the biases "
                                    "before it are dropped."),
           ("About ten times larger", False, "The layout and the layer sizes are LeNet's."),
           ("Exactly the same", False, "Batch norm's scales and shifts add a few hundred "
                                       "parameters.")),
    ],
    "07": [
        _q("Why does every row of the test confusion matrix sum to 1,000, whatever the network "
           "predicts?",
           ("The network predicts each class 1,000 times", False,
            "That would be the columns, and they need not be balanced."),
           ("A row counts the images of one true class, and the test set has 1,000 of each", True,
            "Row t, column p counts the images of class t predicted as p."),
           ("The matrix is normalised", False, "It holds counts; the figure colours each cell by its "
                                               "share of the row.")),
        _q("Which classes does LeNet confuse most?",
           ("Shirt, T-shirt/top, Pullover and Coat", True,
            "At 28×28 in grey they often differ only in a collar or a row of buttons."),
           ("Sandal, Sneaker and Ankle boot", False, "Shoes have distinctive silhouettes; they are "
                                                     "among the easier classes."),
           ("Trouser and Dress", False, "Trousers are among the easiest classes.")),
        _q("The network says \"Bag\" with probability 0.95. What does that tell you?",
           ("The image is certainly a bag", False,
            "Dozens of mistakes come with a confidence above 0.8."),
           ("Probably a bag, but a softmax probability is no guarantee", True,
            "High confidence usually means a correct answer, not always."),
           ("Nothing: with label smoothing the probabilities are meaningless", False,
            "Label smoothing makes the confidences cluster around 0.9, but they still carry "
            "information.")),
        _q("The weights of a first-layer kernel add up to about 0. What does it respond to?",
           ("Brightness: bright regions give large outputs", False,
            "Weights that cancel give 0 on any uniform region, bright or dark."),
           ("Nothing: the kernel is dead", False, "It gives 0 only on uniform regions; edges make it "
                                                  "respond."),
           ("Changes of brightness: edges", True,
            "On a uniform region the weights cancel; only a change under the kernel gives a response.")),
    ],
    "08": [
        _q("How does this notebook time a piece of code?",
           ("One run: the first is the most realistic", False,
            "The first call is slower: memory is allocated, kernels are chosen, libraries loaded."),
           ("A warm-up run, then several runs, keeping the median", True,
            "One slow run, because something else woke up on the machine, does not move a median."),
           ("The mean of all runs, warm-up included", False,
            "The warm-up and any slow outlier would pull the mean up.")),
        _q("A tensor converted to channels-last memory keeps:",
           ("Its shape and its values; only its strides change", True,
            "The order in memory changes, so code that calls `view` on it can break."),
           ("Its values, but its shape becomes (N, H, W, C)", False, "The shape stays (N, C, H, W)."),
           ("Its shape, but its values are rounded anew", False, "No value changes; the same numbers "
                                                                 "are stored in another order.")),
        _q("The sigmoids and poolings do almost no arithmetic, yet take a good part of a step. Why?",
           ("They run in Python", False, "They are PyTorch's C++ operators, like the convolutions."),
           ("They compute in float64", False, "Everything in the training step is float32."),
           ("They are memory-bound: each reads and writes a whole tensor", True,
            "After the first convolution that tensor holds about 5 MB per batch, forward and again "
            "backward.")),
        _q("Why does `gradcheck` need float64?",
           ("Autograd functions only work in float64", False, "They work in any floating-point type; "
                                                              "training runs in float32."),
           ("Finite differences nudge the input by a tiny amount, which float32 rounding would drown",
            True, "In float32 a nudge of 1e-6 is lost in rounding, and the estimate becomes noise."),
           ("float64 is faster on a CPU", False, "It is slower; we use it only to check.")),
        _q("Compiling takes 30 s and then saves 2 ms per step. With 235 steps per epoch, after how many "
           "epochs has it paid for itself?",
           ("About 1", False, "One epoch saves 235 × 2 ms, less than half a second."),
           ("About 15,000", False, "That is the number of steps, not epochs."),
           ("About 64", True, "30 s / (235 × 0.002 s) ≈ 64 epochs: far more than the classic "
                              "recipe's 10."),
           ("Never", False, "Any saving per step pays back eventually; here after many epochs.")),
    ],
}


def _inline_html(text: str) -> str:
    """Escape text for HTML, then show `code` as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


class Quiz:
    """The questions of one notebook, shown as clickable HTML (no JavaScript) or as plain text."""

    def __init__(self, notebook: str, questions):
        self.notebook = notebook
        self.questions = list(questions)

    def _repr_html_(self) -> str:
        parts = [f'<div class="d2l-quiz"><p><strong>Quiz · notebook {html.escape(self.notebook)}</strong>'
                 " — click an option to see whether it is right.</p>"]
        for number, question in enumerate(self.questions, 1):
            parts.append(f"<p><strong>{number}.</strong> {_inline_html(question.text)}</p>")
            for letter, option in zip(LETTERS, question.options):
                verdict = "✔ Correct:" if option.correct else "✘ Not quite:"
                parts.append(f"<details><summary>{letter}. {_inline_html(option.text)}</summary>"
                             f"<p>{verdict} {_inline_html(option.feedback)}</p></details>")
        parts.append("</div>")
        return "\n".join(parts)

    def __repr__(self) -> str:
        lines = [f"Quiz · notebook {self.notebook}. Open the notebook in JupyterLab and click an option, "
                 f'or ask here: quiz("{self.notebook}").answer(1, "A").']
        for number, question in enumerate(self.questions, 1):
            lines.append(f"\n{number}. {question.text}")
            lines.extend(f"   {letter}. {option.text}" for letter, option in zip(LETTERS, question.options))
        return "\n".join(lines)

    def answer(self, question: int, letter: str) -> None:
        """Print the feedback for option ``letter`` of question ``question`` (counted from 1)."""
        if not 1 <= question <= len(self.questions):
            raise ValueError(f"question {question} does not exist: choose 1 to {len(self.questions)}")
        options = self.questions[question - 1].options
        index = LETTERS.find(str(letter).strip().upper())
        if index < 0 or index >= len(options) or len(str(letter).strip()) != 1:
            raise ValueError(f"option {letter!r} does not exist: choose one of {LETTERS[:len(options)]}")
        option = options[index]
        print(f"{'✔ Correct:' if option.correct else '✘ Not quite:'} {option.feedback}")


def quiz(notebook) -> Quiz:
    """The quiz that ends notebook ``notebook`` ("05" or 5); leave it as a cell's last line to show it."""
    key = f"{int(notebook):02d}" if not isinstance(notebook, str) else notebook.zfill(2)
    if key not in QUIZZES:
        raise KeyError(f"no quiz for notebook {notebook!r}; there are quizzes for {', '.join(QUIZZES)}")
    return Quiz(key, QUIZZES[key])
